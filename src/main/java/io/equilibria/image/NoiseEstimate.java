package io.equilibria.image;


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

    /**
     * Poisson–Gaussian noise σ²(I) = a·I + b fitted from the image (in the spirit of Foi et al. 2008): the diagonal
     * Haar details of 2×2 blocks are grouped by the block mean into 12 equally populated bins, each bin's σ is the
     * robust MAD estimate, and a, b ≥ 0 are the least-squares line through (mean, σ²). For purely Gaussian noise
     * a ≈ 0 and b ≈ {@link #sigma}². Returns {a, b}.
     */
    public static double[] poissonGaussian(Plane p) {
        int w = p.width() / 2, h = p.height() / 2;
        if (w < 2 || h < 2) return new double[] {0, Math.pow(sigma(p), 2)};
        int n = w * h;
        float[] v = p.data();
        int pw = p.width();
        float[] mean = new float[n], det = new float[n];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 2 * y * pw + 2 * x;
                mean[y * w + x] = (v[i] + v[i + 1] + v[i + pw] + v[i + pw + 1]) / 4f;
                det[y * w + x] = Math.abs((v[i] - v[i + 1] - v[i + pw] + v[i + pw + 1]) / 2f);
            }
        }
        return poissonGaussian(mean, det);
    }

    /**
     * The fit behind {@link #poissonGaussian(Plane)} for any local means and their (orthonormal Haar) detail
     * coefficients, one per small block: 12 equally populated bins by mean, a robust σ² per bin, the least-squares
     * line σ² = a·mean + b with a, b ≥ 0. Returns {a, b}.
     */
    public static double[] poissonGaussian(float[] mean, float[] det) {
        int n = mean.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(mean[a], mean[b]));
        int bins = Math.min(12, Math.max(2, n / 64));
        double[] xs = new double[bins], ys = new double[bins];
        for (int b = 0; b < bins; b++) {
            int from = (int) ((long) n * b / bins), to = (int) ((long) n * (b + 1) / bins);
            float[] d = new float[to - from];
            double m = 0;
            for (int k = from; k < to; k++) {
                d[k - from] = Math.abs(det[order[k]]);
                m += mean[order[k]];
            }
            xs[b] = m / d.length;
            double s = Stats.median(d) / 0.6745;
            ys[b] = s * s;
        }
        double mx = 0, my = 0;
        for (int b = 0; b < bins; b++) { mx += xs[b]; my += ys[b]; }
        mx /= bins;
        my /= bins;
        double sxy = 0, sxx = 0;
        for (int b = 0; b < bins; b++) { sxy += (xs[b] - mx) * (ys[b] - my); sxx += (xs[b] - mx) * (xs[b] - mx); }
        double a = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
        double b0 = Math.max(0, my - a * mx);
        return new double[] {a, b0};
    }
}
