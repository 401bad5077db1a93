package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class StabilityToolsTest {
    @Test
    void spectralRadiusOfALinearMapIsItsLargestEigenvalue() {
        int d = 20;
        Random r = new Random(5);
        RealMatrix q = new QRDecomposition(LinearDeq.gaussian(r, d, d)).getQ();
        double[] eig = new double[d];
        for (int i = 0; i < d; i++) eig[i] = -0.3 + 0.6 * i / (d - 1);
        eig[3] = -0.93; // dominant, negative: the estimate must be a modulus
        RealMatrix w = q.multiply(MatrixUtils.createRealDiagonalMatrix(eig)).multiply(q.transpose());
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray wn = LinearDeq.nd(m, w), un = LinearDeq.nd(m, MatrixUtils.createRealIdentityMatrix(d));
            NDArray z = LinearDeq.nd(m, LinearDeq.gaussian(r, 1, d));
            SpectralRadius.Estimate e = SpectralRadius.estimate(LinearDeq.cell(wn, un), z, z, 500, 1e-10, 1);
            assertTrue(e.converged(), e.summary());
            assertEquals(0.93, e.radius(), 1e-6);
            assertTrue(e.summary().contains("contractive"));
            // scaled past 1 it says so
            NDArray w2 = wn.mul(1.2);
            SpectralRadius.Estimate e2 = SpectralRadius.estimate(LinearDeq.cell(w2, un), z, z, 500, 1e-10, 1);
            assertEquals(1.116, e2.radius(), 1e-5);
            assertTrue(e2.summary().contains("NOT contractive"));
        }
    }

    @Test
    void hutchinsonEstimatesTheFrobeniusNormAndItsGradientIsExact() {
        LinearDeq p = new LinearDeq(8, 3, 2, 0.9, 6);
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x);
            NDArray z = LinearDeq.nd(m, p.zStar());
            DeqCell cell = LinearDeq.cell(w, u);
            double exact = p.n * Math.pow(p.w.getFrobeniusNorm(), 2); // J is block diagonal: n copies of W
            double est = JacobianRegularizer.estimate(cell, z, x, 4000, 7);
            assertEquals(exact, est, 0.05 * exact);

            // with one known probe ε (rows), ‖εW‖² has gradient 2 εᵀε W, added on top of what was there
            w.setRequiresGradient(true);
            u.setRequiresGradient(true);
            RealMatrix eps = LinearDeq.gaussian(new Random(8), p.n, p.d);
            double value = JacobianRegularizer.penalize(cell, z, x, 0.5, List.of(LinearDeq.nd(m, eps)));
            assertEquals(Math.pow(eps.multiply(p.w).getFrobeniusNorm(), 2), value, 1e-10);
            RealMatrix expected = eps.transpose().multiply(eps).multiply(p.w).scalarMultiply(2 * 0.5);
            assertTrue(LinearDeq.maxAbsDiff(LinearDeq.mat(w.getGradient()), expected) < 1e-10);
            // U does not enter J, so its gradient must stay zero (the probes' first-order terms were cancelled)
            assertTrue(LinearDeq.maxAbsDiff(LinearDeq.mat(u.getGradient()), MatrixUtils.createRealMatrix(p.d, p.p)) < 1e-10);
        }
    }
}
