package io.equilibria.gp;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

class GpClassifierTest {
    @Test
    void separatesTwoGaussianClustersWithTheDeqKernel() {
        Random r = new Random(4);
        int n = 60, m = 40, d = 8;
        double[][] x = new double[n + m][d];
        int[] labels = new int[n + m];
        for (int i = 0; i < n + m; i++) {
            labels[i] = i % 2;
            for (int t = 0; t < d; t++) x[i][t] = r.nextGaussian() + (labels[i] == 0 ? 1.5 : -1.5) * (t == 0 ? 1 : 0);
        }
        double[][] k = new DeqKernel(Activation.RELU, 0.6, 1.0, 1e-10, 10_000).kernel(x);
        int[] pred = GpClassifier.predict(k, n, java.util.Arrays.copyOf(labels, n), 2, 1e-2);
        int ok = 0;
        for (int t = 0; t < m; t++) if (pred[t] == labels[n + t]) ok++;
        assertTrue(ok >= 0.85 * m, "GP with the DEQ kernel: " + ok + " of " + m);
        assertTrue(GpClassifier.smallestEigenvalue(k) > 0, "K* positive definite");
    }

    @Test
    void smallestEigenvalueStaysPositiveAcrossSigmaW() {
        double[][] x = new double[10][10];
        Random r = new Random(5);
        for (double[] row : x) for (int t = 0; t < 10; t++) row[t] = r.nextGaussian();
        for (double sw : new double[] {0.2, 0.6, 1.0, 1.3}) {
            double min = GpClassifier.smallestEigenvalue(new DeqKernel(Activation.RELU, sw, 1.0, 1e-10, 100_000).kernel(x));
            assertTrue(min > 0, "sigma_w " + sw + ": " + min);
        }
    }
}
