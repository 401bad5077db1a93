package io.equilibria.spark;

import io.equilibria.batch.BatchPlan;
import io.equilibria.batch.BatchRow;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.TilePart;
import io.equilibria.reconstruct.methods.TiledDeconvolution;
import io.equilibria.reconstruct.report.ReportJson;
import io.equilibria.run.ReconstructRunner;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The last step of an image split into tile tasks: its parts blended into the output (written atomically by the
 * core's {@link ReconstructRunner#runJob}, scored and reported as any image), the record, then the parts removed.
 * Returns the image's row as JSON.
 */
final class AssembleTask extends JobTask<String, String> {
    private static final long serialVersionUID = 1L;

    AssembleTask(String[] words, JobSettings settings) {
        super(words, settings);
    }

    @Override
    public String call(String relative) throws Exception {
        ExecutorState state = state();
        BatchPlan.Job job = state.job(relative);
        String earlier = recordedRow(state, job);
        if (earlier != null) return earlier;
        Path dir = state.partsDir(job);
        BatchRow row = ReconstructRunner.runJob(state.prepared, job, ImageTask.LOG_LISTENER, Deconvolution.PlaneListener.NONE,
                (request, files, j, progress) -> {
                    TiledDeconvolution tiled = request.tiled(state.read(j));
                    List<TilePart> parts = new ArrayList<>(tiled.parts());
                    for (int k = 0; k < tiled.parts(); k++) {
                        Object p = state.records.readPart(dir, k);
                        if (!(p instanceof TilePart part)) throw new IllegalStateException("tile " + k + " of " + relative + " is missing in " + dir);
                        parts.add(part);
                    }
                    return tiled.assemble(parts);
                });
        if (row.isOk()) {
            state.records.record(job, ReportJson.MAPPER.convertValue(row, Map.class));
            state.records.removeParts(dir);
        }
        return ReportJson.MAPPER.writeValueAsString(row);
    }
}
