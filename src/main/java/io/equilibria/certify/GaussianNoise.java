package io.equilibria.certify;

import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Fills a batch with x + σε, ε ~ N(0, I), reproducibly from a seeded stream and in parallel: the rows are cut into a
 * fixed number of chunks, each drawing from its own stream split off {@code random} in order, so the values depend only
 * on the stream's state, never on thread scheduling. Generating 784 Gaussians per sample is a visible share of a
 * certificate's time once the classifier is cheap (serialized smoothing), hence the parallelism.
 */
public final class GaussianNoise {
    private static final int CHUNKS = 8;

    private GaussianNoise() {}

    public static void fill(float[][] batch, float[] x, double sigma, SplittableRandom random) {
        int rows = batch.length;
        if (rows == 0) return;
        int chunks = Math.min(CHUNKS, rows);
        SplittableRandom[] streams = new SplittableRandom[chunks];
        for (int c = 0; c < chunks; c++) streams[c] = random.split();
        IntStream.range(0, chunks).parallel().forEach(c -> {
            SplittableRandom r = streams[c];
            int from = (int) ((long) rows * c / chunks), to = (int) ((long) rows * (c + 1) / chunks);
            for (int i = from; i < to; i++) {
                float[] row = batch[i];
                for (int j = 0; j < row.length; j++) row[j] = (float) (x[j] + sigma * r.nextGaussian());
            }
        });
    }
}
