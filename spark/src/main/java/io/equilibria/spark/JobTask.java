package io.equilibria.spark;

import io.equilibria.batch.BatchPlan;
import io.equilibria.batch.BatchRow;
import io.equilibria.reconstruct.report.ReportJson;
import org.apache.spark.api.java.function.Function;

import java.util.Map;

/**
 * A task of the job: the job's words and settings, shipped to the executors, and this JVM's {@link ExecutorState}
 * built from them.
 */
abstract class JobTask<T, R> implements Function<T, R> {
    private static final long serialVersionUID = 1L;

    private final String[] words;
    private final JobSettings settings;

    JobTask(String[] words, JobSettings settings) {
        this.words = words;
        this.settings = settings;
    }

    ExecutorState state() { return ExecutorState.of(words, settings); }

    /** The recorded row of an image an earlier attempt or run finished (its record and output are there), as JSON, or null. */
    static String recordedRow(ExecutorState state, BatchPlan.Job job) throws Exception {
        Map<String, Object> earlier = state.records.finished(job);
        return earlier == null ? null : ReportJson.MAPPER.writeValueAsString(ReportJson.MAPPER.convertValue(earlier, BatchRow.class).asResumed());
    }
}
