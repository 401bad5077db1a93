package io.equilibria.physics;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

import java.util.Locale;
import java.util.Random;

/**
 * Seeded m x n measurement matrices with orthonormal rows, generated in Java (not by the tensor library) so a
 * seed gives the same matrix on every machine and device.
 */
public final class SensingMatrix {
    private SensingMatrix() {}

    public enum Kind {
        GAUSSIAN, HADAMARD;

        public static Kind parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown CS operator '" + s + "' (gaussian, hadamard)");
            }
        }

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    public static float[] create(Kind kind, int m, int n, long seed) {
        return kind == Kind.GAUSSIAN ? gaussian(m, n, seed) : hadamard(m, n, seed);
    }

    /** Gaussian matrix orthonormalised by QR: the rows span a uniformly random m-dimensional subspace. */
    public static float[] gaussian(int m, int n, long seed) {
        if (m < 1 || m > n) throw new IllegalArgumentException("need 1 <= m <= n, got m=" + m + ", n=" + n);
        Random r = new Random(seed);
        double[][] g = new double[n][m];
        for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) g[i][j] = r.nextGaussian();
        RealMatrix q = new QRDecomposition(new Array2DRowRealMatrix(g, false)).getQ();
        float[] phi = new float[m * n];
        for (int row = 0; row < m; row++) for (int col = 0; col < n; col++) phi[row * n + col] = (float) q.getEntry(col, row);
        return phi;
    }

    /**
     * Subsampled Walsh–Hadamard (single-pixel camera patterns, ±1 masks): rows of the n x n Hadamard matrix times a
     * seeded random sign flip of the pixels, scaled by 1/sqrt(n) so rows are orthonormal. Row 0 (the total
     * intensity) is always measured, the other m-1 rows are a seeded random choice.
     */
    public static float[] hadamard(int m, int n, long seed) {
        if (Integer.bitCount(n) != 1) throw new IllegalArgumentException("Hadamard needs a power-of-two block area, got " + n);
        if (m < 1 || m > n) throw new IllegalArgumentException("need 1 <= m <= n, got m=" + m + ", n=" + n);
        Random r = new Random(seed);
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = i;
        for (int i = n - 1; i > 1; i--) { // shuffle rows 1..n-1, keep row 0 first
            int j = 1 + r.nextInt(i);
            int t = rows[i]; rows[i] = rows[j]; rows[j] = t;
        }
        float[] sign = new float[n];
        for (int i = 0; i < n; i++) sign[i] = r.nextBoolean() ? 1f : -1f;
        float scale = (float) (1 / Math.sqrt(n));
        float[] phi = new float[m * n];
        for (int row = 0; row < m; row++) {
            int h = rows[row];
            for (int col = 0; col < n; col++) {
                // Sylvester Hadamard entry: (-1)^popcount(h & col)
                float v = (Integer.bitCount(h & col) & 1) == 0 ? 1f : -1f;
                phi[row * n + col] = v * sign[col] * scale;
            }
        }
        return phi;
    }
}
