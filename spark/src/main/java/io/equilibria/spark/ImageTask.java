package io.equilibria.spark;

import io.equilibria.batch.BatchPlan;
import io.equilibria.batch.BatchRow;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.TiledDeconvolution;
import io.equilibria.reconstruct.report.ReportJson;
import io.equilibria.run.ReconstructRequest;
import io.equilibria.run.ReconstructRunner;
import io.equilibria.run.RunListener;
import org.apache.spark.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * One image as one Spark task: if an earlier attempt or run finished it (its record and output are there), its recorded
 * row; else the core's {@link ReconstructRunner#runJob} (output written atomically), then the record. A deblurring
 * whose plan needs more than one tile under the task's memory budget is not solved here: the task says how many
 * parts it has, and the driver spreads them as tile tasks ({@link TileTask}, then {@link AssembleTask}). A task that
 * dies part-way leaves at most a hidden {@code .part} file, which the retry removes.
 */
final class ImageTask extends JobTask<String, ImageOutcome> {
    private static final long serialVersionUID = 1L;
    static final Logger LOG = LoggerFactory.getLogger("equilibria");

    /**
     * Test hook: a task for this relative path (or {@code path#k}, tile task k) fails on its first attempt after leaving
     * a partial output behind, as a killed executor would. Unset in normal runs.
     */
    static final String FAIL_FIRST_ATTEMPT = "equilibria.spark.test.failFirstAttempt";

    static final RunListener LOG_LISTENER = new RunListener() {
        @Override public void message(String line) { LOG.info("{}", line); }
    };

    ImageTask(String[] words, JobSettings settings) {
        super(words, settings);
    }

    /** Thrown out of the solve when the image is to be split into tile tasks. */
    private static final class Split extends RuntimeException {
        final int parts;
        final String grid;

        Split(int parts, String grid) {
            super(null, null, false, false);
            this.parts = parts;
            this.grid = grid;
        }
    }

    @Override
    public ImageOutcome call(String relative) throws Exception {
        ExecutorState state = state();
        BatchPlan.Job job = state.job(relative);
        String earlier = recordedRow(state, job);
        if (earlier != null) {
            LOG.info("{} already done (its record and output are there)", relative);
            return ImageOutcome.row(relative, earlier);
        }
        simulatedKill(relative, job.output());
        BatchRow row;
        try {
            row = ReconstructRunner.runJob(state.prepared, job, LOG_LISTENER, Deconvolution.PlaneListener.NONE, (request, files, j, progress) -> {
                if (request.task() != ReconstructRequest.Task.DEBLUR) return ReconstructRunner.solve(request, files, j, progress);
                var image = state.read(j);
                TiledDeconvolution tiled = request.tiled(image);
                if (tiled.parts() > 1) throw new Split(tiled.parts(), tiled.grid());
                return request.solveChannels(image, progress);
            });
        } catch (Split s) {
            LOG.info("{} needs {} tiles under this task's memory budget ({}): they become {} tasks", relative, s.parts, s.grid, s.parts);
            return ImageOutcome.split(relative, s.parts, s.grid);
        }
        if (row.isOk()) state.records.record(job, ReportJson.MAPPER.convertValue(row, Map.class));
        return ImageOutcome.row(relative, ReportJson.MAPPER.writeValueAsString(row));
    }

    /** The test hook's partial output and failure, on the first attempt of the task named {@code key}. */
    static void simulatedKill(String key, Path output) throws IOException {
        TaskContext task = TaskContext.get();
        if (!key.equals(System.getProperty(FAIL_FIRST_ATTEMPT)) || task == null || task.attemptNumber() > 0) return;
        Files.createDirectories(output.toAbsolutePath().getParent());
        Files.writeString(output.resolveSibling("." + output.getFileName() + ".killed.part"), "half an image");
        throw new IllegalStateException("simulated executor loss while working on " + key);
    }
}
