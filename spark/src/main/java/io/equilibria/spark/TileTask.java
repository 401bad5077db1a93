package io.equilibria.spark;

import io.equilibria.batch.BatchPlan;
import io.equilibria.errors.InputException;
import io.equilibria.errors.MemoryException;
import io.equilibria.errors.NumericalException;
import io.equilibria.errors.OutputException;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.TilePart;

import java.nio.file.Path;
import java.util.Locale;

/**
 * One tile of an image too large for one task ({@code RELATIVE#k}): the whole image's plan (normalisation, noise
 * level, grid: the same wherever it is made), tile k solved across every plane, and the part written atomically
 * beside the job's records. A part already there (a retry, or a rerun with {@code --resume}) is not solved again.
 * Returns "" when the part is there, else why the image cannot be done (the image then fails; the job goes on).
 */
final class TileTask extends JobTask<String, String> {
    private static final long serialVersionUID = 1L;

    TileTask(String[] words, JobSettings settings) {
        super(words, settings);
    }

    static String key(String relative, int part) { return relative + "#" + part; }

    @Override
    public String call(String key) throws Exception {
        int hash = key.lastIndexOf('#');
        String relative = key.substring(0, hash);
        int k = Integer.parseInt(key.substring(hash + 1));
        ExecutorState state = state();
        BatchPlan.Job job = state.job(relative);
        Path dir = state.partsDir(job);
        if (state.records.readPart(dir, k) != null) {
            ImageTask.LOG.info("{} tile {} already solved", relative, k);
            return "";
        }
        ImageTask.simulatedKill(key, dir.resolve("tile"));
        try {
            long t0 = System.nanoTime();
            var tiled = state.prepared.single().tiled(state.read(job));
            TilePart part = tiled.solve(k, Deconvolution.PlaneListener.NONE);
            state.records.writePart(dir, k, part);
            ImageTask.LOG.info(String.format(Locale.ROOT, "%s tile %d of %d solved in %.1f s (%d solve(s), %d iterations at most)", relative,
                    k + 1, tiled.parts(), (System.nanoTime() - t0) / 1e9, part.solves().size(),
                    part.solves().stream().mapToInt(TilePart.Solved::iterations).max().orElse(0)));
            return "";
        } catch (InputException | NumericalException | OutputException | MemoryException e) {
            ImageTask.LOG.info("{} tile {} failed: {}", relative, k, e.getMessage());
            return e.getMessage();
        }
    }
}
