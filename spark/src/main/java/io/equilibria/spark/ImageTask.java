package io.equilibria.spark;

import io.equilibria.batch.BatchPlan;
import io.equilibria.batch.BatchRow;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.report.ReportJson;
import io.equilibria.run.ReconstructRunner;
import io.equilibria.run.RunListener;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Map;

/**
 * One image as one Spark task: if an earlier attempt or run finished it (its record and output are there), its recorded
 * row; else the core's {@link ReconstructRunner#runJob} (output written atomically), then the record. A task that
 * dies part-way leaves at most a hidden {@code .part} file, which the retry removes. Returns the row as JSON.
 */
final class ImageTask implements Function<String, String> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger("equilibria");

    /**
     * Test hook: a task for this relative path fails on its first attempt after leaving a partial output behind, as a
     * killed executor would. Unset in normal runs.
     */
    static final String FAIL_FIRST_ATTEMPT = "equilibria.spark.test.failFirstAttempt";

    private final String[] words;
    private final JobSettings settings;

    ImageTask(String[] words, JobSettings settings) {
        this.words = words;
        this.settings = settings;
    }

    @Override
    public String call(String relative) throws Exception {
        ExecutorState state = ExecutorState.of(words, settings);
        BatchPlan.Job job = state.job(relative);
        Map<String, Object> earlier = state.records.finished(job);
        if (earlier != null) {
            LOG.info("{} already done (its record and output are there)", relative);
            return ReportJson.MAPPER.writeValueAsString(ReportJson.MAPPER.convertValue(earlier, BatchRow.class).asResumed());
        }
        simulatedKill(relative, job);
        RunListener log = new RunListener() {
            @Override public void message(String line) { LOG.info("{}", line); }
        };
        BatchRow row = ReconstructRunner.runJob(state.prepared, job, log, Deconvolution.PlaneListener.NONE);
        if (row.isOk()) state.records.record(job, ReportJson.MAPPER.convertValue(row, Map.class));
        return ReportJson.MAPPER.writeValueAsString(row);
    }

    private static void simulatedKill(String relative, BatchPlan.Job job) throws IOException {
        TaskContext task = TaskContext.get();
        if (!relative.equals(System.getProperty(FAIL_FIRST_ATTEMPT)) || task == null || task.attemptNumber() > 0) return;
        Files.createDirectories(job.output().toAbsolutePath().getParent());
        Files.writeString(job.output().resolveSibling("." + job.output().getFileName() + ".killed.part"), "half an image");
        throw new IllegalStateException("simulated executor loss while writing " + relative);
    }
}
