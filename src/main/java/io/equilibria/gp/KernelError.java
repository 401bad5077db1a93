package io.equilibria.gp;

/**
 * How far N empirical kernels K̂₁ … K̂_N lie from K*, all relative to ‖K*‖²_F. {@code meanSquared} is the per-network
 * error e_k = ‖K̂_k − K*‖²_F/‖K*‖²_F averaged over the networks (variance plus squared bias, O(1/width)), with its
 * standard error. {@code bias} estimates ‖E K̂ − K*‖²_F/‖K*‖²_F without the Monte-Carlo part: ‖mean K̂ − K*‖² minus
 * s²/N, s² the unbiased per-network variance ∑‖K̂_k − mean‖²/(N−1); it can come out negative, which means the bias is
 * below the noise ({@code biasNoise} = s²/N). {@code maxOfMean} is the largest entrywise |mean K̂ − K*| over the largest
 * |K*| (dominated by the Monte-Carlo spread of the mean, not by the width).
 */
public record KernelError(double meanSquared, double standardError, double bias, double biasNoise, double maxOfMean) {
    public static KernelError of(double[][][] kernels, double[][] exact) {
        int n = kernels.length, p = exact.length;
        if (n < 2) throw new IllegalArgumentException("need at least two networks for a spread");
        double norm = 0, scale = 0;
        for (double[] row : exact) for (double v : row) {
            norm += v * v;
            scale = Math.max(scale, Math.abs(v));
        }
        double[][] mean = new double[p][p];
        for (double[][] k : kernels) for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) mean[i][j] += k[i][j] / n;
        double[] e = new double[n];
        double spread = 0;
        for (int k = 0; k < n; k++) {
            e[k] = distance2(kernels[k], exact) / norm;
            spread += distance2(kernels[k], mean) / norm;
        }
        double avg = 0, var = 0;
        for (double v : e) avg += v / n;
        for (double v : e) var += (v - avg) * (v - avg) / (n - 1);
        double noise = spread / (n - 1) / n, maxDiff = 0;
        for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) maxDiff = Math.max(maxDiff, Math.abs(mean[i][j] - exact[i][j]));
        return new KernelError(avg, Math.sqrt(var / n), distance2(mean, exact) / norm - noise, noise, maxDiff / scale);
    }

    private static double distance2(double[][] a, double[][] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a.length; j++) s += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j]);
        return s;
    }
}
