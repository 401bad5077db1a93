package io.equilibria.gp;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.CholeskyDecomposition;
import org.apache.commons.math3.linear.DecompositionSolver;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * GP classification as regression on one-hot targets (as in the NNGP literature, e.g. Lee et al. 2018): the posterior
 * mean K(x, X)(K(X, X) + σ²I)⁻¹(Y − ½) for centred one-hot targets, the predicted class its argmax. The kernel is the
 * DEQ's limiting kernel computed jointly on training and test inputs (it is not a function of pairs alone: each entry
 * depends on its two diagonals only, so computing it jointly is equivalent to pairwise).
 */
public final class GpClassifier {
    private GpClassifier() {}

    /** Predicted labels of the test rows. {@code kernel} is K* on [train; test] rows. */
    public static int[] predict(double[][] kernel, int trainCount, int[] trainLabels, int classes, double noise) {
        int n = trainCount, m = kernel.length - n;
        double[][] kxx = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) kxx[i][j] = kernel[i][j];
            kxx[i][i] += noise;
        }
        DecompositionSolver solver = new CholeskyDecomposition(new Array2DRowRealMatrix(kxx, false), 1e-12, 1e-14).getSolver();
        double[][] y = new double[n][classes];
        for (int i = 0; i < n; i++) for (int c = 0; c < classes; c++) y[i][c] = (trainLabels[i] == c ? 1 : 0) - 1.0 / classes;
        RealMatrix alpha = solver.solve(new Array2DRowRealMatrix(y, false));
        int[] out = new int[m];
        for (int t = 0; t < m; t++) {
            int best = 0;
            double bestV = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double v = 0;
                for (int i = 0; i < n; i++) v += kernel[n + t][i] * alpha.getEntry(i, c);
                if (v > bestV) {
                    bestV = v;
                    best = c;
                }
            }
            out[t] = best;
        }
        return out;
    }

    /** Smallest eigenvalue of a symmetric kernel matrix. */
    public static double smallestEigenvalue(double[][] k) {
        double min = Double.POSITIVE_INFINITY;
        for (double e : new org.apache.commons.math3.linear.EigenDecomposition(new Array2DRowRealMatrix(k)).getRealEigenvalues()) {
            min = Math.min(min, e);
        }
        return min;
    }
}
