package io.equilibria.metrics;

import io.equilibria.image.Plane;
import io.equilibria.image.Stats;

/**
 * Noise standard deviation from the image itself: the median absolute value of the finest diagonal Haar detail
 * (HH band, orthonormal) divided by 0.6745 (Donoho &amp; Johnstone). Robust to edges, so the user need not know σ.
 */
public final class NoiseEstimate {
    private NoiseEstimate() {}

    public static double sigma(Plane p) {
        int w = p.width() / 2, h = p.height() / 2;
        if (w < 1 || h < 1) return 0;
        float[] d = new float[w * h];
        float[] v = p.data();
        int pw = p.width();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 2 * y * pw + 2 * x;
                d[y * w + x] = Math.abs((v[i] - v[i + 1] - v[i + pw] + v[i + pw + 1]) / 2f);
            }
        }
        return Stats.median(d) / 0.6745;
    }
}
