package io.equilibria.solvers;

/** Dense Gaussian elimination with partial pivoting for the small systems inside Anderson. */
final class GaussianElimination {
    private GaussianElimination() {}

    /** Solves the n×n system stored in the augmented matrix a (n × n+1, overwritten); null if singular. */
    static double[] solve(double[][] a, int n) {
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
            if (a[p][c] == 0 || !Double.isFinite(a[p][c])) return null;
            double[] tmp = a[c]; a[c] = a[p]; a[p] = tmp;
            for (int r = c + 1; r < n; r++) {
                double f = a[r][c] / a[c][c];
                if (f == 0) continue;
                for (int k = c; k <= n; k++) a[r][k] -= f * a[c][k];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = a[r][n];
            for (int k = r + 1; k < n; k++) s -= a[r][k] * x[k];
            x[r] = s / a[r][r];
        }
        return x;
    }
}
