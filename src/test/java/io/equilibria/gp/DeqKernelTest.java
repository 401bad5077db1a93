package io.equilibria.gp;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeqKernelTest {
    private static double[][] inputs(int n, int d, long seed) {
        Random r = new Random(seed);
        double[][] x = new double[n][d];
        for (double[] row : x) for (int t = 0; t < d; t++) row[t] = r.nextGaussian();
        return x;
    }

    @Test
    void reluDiagonalHasTheClosedForm() {
        double sw = 0.6, su = 1.0;
        double[][] x = inputs(5, 10, 1);
        double[][] k = new DeqKernel(Activation.RELU, sw, su, 1e-13, 10_000).kernel(x);
        for (int i = 0; i < x.length; i++) {
            double norm2 = 0;
            for (double v : x[i]) norm2 += v * v;
            double q = su * su * norm2 / 10 / (1 - sw * sw / 2);
            assertEquals(q, k[i][i], 1e-10 * q, "diagonal " + i);
        }
    }

    @Test
    void kernelIsSymmetricPositiveDefiniteOnDistinctInputs() {
        for (Activation a : Activation.values()) {
            double[][] k = new DeqKernel(a, 0.6, 1.0, 1e-10, 10_000).kernel(inputs(12, 10, 2));
            for (int i = 0; i < k.length; i++) for (int j = 0; j < k.length; j++) assertEquals(k[i][j], k[j][i], 0, a + " symmetric");
            double min = Double.POSITIVE_INFINITY;
            for (double e : new EigenDecomposition(new Array2DRowRealMatrix(k)).getRealEigenvalues()) min = Math.min(min, e);
            assertTrue(min > 1e-6, a + ": smallest eigenvalue " + min);
        }
    }

    @Test
    void quadratureMatchesTheClosedForms() {
        double[][] cases = {{1.0, 0.3, 2.0}, {0.5, -0.4, 0.7}, {2.0, 1.99, 2.0}, {0.1, 0.0, 3.0}};
        for (Activation a : new Activation[] {Activation.RELU, Activation.ERF}) {
            for (double[] c : cases) {
                double closed = a.expectation(c[0], c[1], c[2]);
                double quad = a.quadrature(c[0], c[1], c[2], 80);
                // ReLU's kink limits Gauss–Hermite's accuracy; erf is smooth
                assertEquals(closed, quad, (a == Activation.RELU ? 2e-3 : 1e-8) * (1 + Math.abs(closed)), a + " at " + java.util.Arrays.toString(c));
            }
        }
    }

    @Test
    void fixedPointSatisfiesItsEquation() {
        DeqKernel k = new DeqKernel(Activation.TANH, 0.8, 1.0, 1e-12, 10_000);
        double[][] x = inputs(4, 6, 3);
        double[][] ks = k.kernel(x), k0 = DeqKernel.inputKernel(x);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++) {
            double rhs = 0.64 * Activation.TANH.expectation(ks[i][i], ks[i][j], ks[j][j]) + k0[i][j];
            assertEquals(rhs, ks[i][j], 1e-10);
        }
    }
}
