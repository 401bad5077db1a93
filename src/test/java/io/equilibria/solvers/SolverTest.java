package io.equilibria.solvers;

import io.equilibria.errors.DivergenceException;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.deq.DeqCell;
import io.equilibria.deq.LinearDeq;
import io.equilibria.errors.NumericalException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SolverTest {
    private static final String[] SOLVERS = {"picard", "anderson", "broyden", "picard:beta=0.7", "anderson:m=3,lambda=1e-8,beta=0.8"};

    @Test
    void everySolverReachesTheLinearFixedPointInFloat64() {
        LinearDeq p = new LinearDeq(12, 5, 4, 0.8, 1);
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x);
            DeqCell cell = LinearDeq.cell(w, u);
            for (boolean batched : new boolean[] {false, true}) {
                for (String name : SOLVERS) {
                    SolverOptions o = SolverOptions.of(2000, 1e-13).withBatched(batched);
                    Solution s = Solvers.parse(name).solve(z -> cell.apply(z, x), m.zeros(new Shape(4, 12), ai.djl.ndarray.types.DataType.FLOAT64), o);
                    double err = LinearDeq.maxAbsDiff(LinearDeq.mat(s.z()), p.zStar());
                    assertTrue(s.converged(), name + " " + s.summary());
                    assertTrue(err < 1e-8, name + " batched=" + batched + " error " + err);
                    assertEquals(s.iterations(), s.trace().length);
                    assertTrue(s.residual() <= 1e-13);
                    s.z().close();
                }
            }
        }
    }

    @Test
    void warmStartAtTheFixedPointStopsAtOnce() {
        LinearDeq p = new LinearDeq(6, 3, 2, 0.5, 2);
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x);
            DeqCell cell = LinearDeq.cell(w, u);
            NDArray z0 = LinearDeq.nd(m, p.zStar());
            for (String name : SOLVERS) {
                Solution s = Solvers.parse(name).solve(z -> cell.apply(z, x), z0, SolverOptions.of(100, 1e-10));
                assertEquals(1, s.iterations(), name);
                assertNotSame(z0, s.z(), "the caller's warm start is never handed back as the result");
            }
        }
    }

    /** T(z) = A z + b with A symmetric, eigenvalues in [0, 0.995]: contractive but ill-conditioned. */
    @Test
    void andersonNeedsFarFewerIterationsThanPicardOnAnIllConditionedMap() {
        int d = 200;
        Random r = new Random(3);
        org.apache.commons.math3.linear.RealMatrix q = new org.apache.commons.math3.linear.QRDecomposition(
                LinearDeq.gaussian(r, d, d)).getQ();
        double[] eig = new double[d];
        for (int i = 0; i < d; i++) eig[i] = 0.995 * i / (d - 1);
        org.apache.commons.math3.linear.RealMatrix a = q.multiply(org.apache.commons.math3.linear.MatrixUtils.createRealDiagonalMatrix(eig)).multiply(q.transpose());
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray an = LinearDeq.nd(m, a);
            NDArray b = LinearDeq.nd(m, LinearDeq.gaussian(r, 1, d));
            FixedPointMap map = z -> z.matMul(an).add(b);
            SolverOptions o = SolverOptions.of(5000, 1e-8);
            NDArray z0 = m.zeros(new Shape(1, d), ai.djl.ndarray.types.DataType.FLOAT64);
            Solution picard = Solvers.parse("picard").solve(map, z0, o);
            Solution anderson = Solvers.parse("anderson").solve(map, z0, o);
            Solution broyden = Solvers.parse("broyden").solve(map, z0, o);
            assertTrue(picard.converged() && anderson.converged() && broyden.converged(), picard.summary() + " / " + anderson.summary() + " / " + broyden.summary());
            System.out.println("ill-conditioned map: " + picard.summary() + " / " + anderson.summary() + " / " + broyden.summary());
            assertTrue(anderson.iterations() * 5 < picard.iterations(),
                    "anderson " + anderson.iterations() + " vs picard " + picard.iterations());
            assertTrue(broyden.iterations() * 5 < picard.iterations(),
                    "broyden " + broyden.iterations() + " vs picard " + picard.iterations());
        }
    }

    @Test
    void aDivergentMapIsAnErrorThatNamesTheResidual() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray z0 = m.ones(new Shape(10));
            DivergenceException e = assertThrows(DivergenceException.class,
                    () -> Solvers.parse("picard").solve(z -> z.mul(2).add(1), z0, SolverOptions.of(1000, 1e-6)));
            assertTrue(e.getMessage().contains("residual"), e.getMessage());
            assertTrue(e.trace().length > 2);
            // exp(z) > z has no real fixed point: every solver either reports divergence or does not converge
            for (String name : SOLVERS) {
                try {
                    Solution s = Solvers.parse(name).solve(z -> z.exp(), m.zeros(new Shape(10)), SolverOptions.of(300, 1e-6));
                    assertFalse(s.converged(), name + " claimed convergence: " + s.summary());
                    assertThrows(NumericalException.class, s::requireConverged);
                } catch (DivergenceException expected) {
                    assertTrue(expected.getMessage().contains("residual"));
                }
            }
        }
    }

    @Test
    void anOscillatingMapIsNotReportedConverged() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray z0 = m.zeros(new Shape(5));
            // T(z) = 1 − z: Picard with beta = 1 jumps between 0 and 1 for ever at a constant residual
            Solution s = Solvers.parse("picard").solve(z -> z.neg().add(1), z0, SolverOptions.of(200, 1e-6));
            assertFalse(s.converged());
            assertTrue(s.iterations() > 50 && s.iterations() <= 200, "stops when it stalls or runs out: " + s.iterations());
            NumericalException e = assertThrows(NumericalException.class, s::requireConverged);
            assertTrue(e.getMessage().contains("residual"));
            // damping makes it a contraction with the same fixed point 0.5
            Solution damped = Solvers.parse("picard:beta=0.5").solve(z -> z.neg().add(1), z0, SolverOptions.of(200, 1e-10));
            assertTrue(damped.converged());
            assertEquals(0.5, damped.z().getFloat(0), 1e-6);
        }
    }

    @Test
    void memoryStaysFlat() {
        LinearDeq p = new LinearDeq(16, 4, 3, 0.9, 4);
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x);
            DeqCell cell = LinearDeq.cell(w, u);
            NDArray z0 = m.zeros(new Shape(3, 16), ai.djl.ndarray.types.DataType.FLOAT64);
            for (String name : SOLVERS) {
                int before = m.getManagedArrays().size();
                Solution s = Solvers.parse(name).solve(z -> cell.apply(z, x), z0, SolverOptions.of(300, 1e-12));
                assertTrue(s.iterations() > 10);
                s.z().close();
                assertEquals(before, m.getManagedArrays().size(), name + " leaked arrays");
            }
        }
    }

    @Test
    void badSolverSpecsAreClearErrors() {
        assertThrows(IllegalArgumentException.class, () -> Solvers.parse("newton"));
        assertThrows(IllegalArgumentException.class, () -> Solvers.parse("anderson:q=3"));
        assertThrows(IllegalArgumentException.class, () -> Solvers.parse("picard:beta=2"));
        assertThrows(IllegalArgumentException.class, () -> Solvers.parse("anderson:m"));
    }

    /** ODER's Nesterov solver: reaches the linear fixed point, averages its tail, and reports an expanding map as divergence. */
    @Test
    void nesterovConvergesAveragesAndDetectsBlowUp() {
        LinearDeq p = new LinearDeq(12, 5, 4, 0.6, 1);
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x);
            DeqCell cell = LinearDeq.cell(w, u);
            NDArray zero = m.zeros(new Shape(4, 12), ai.djl.ndarray.types.DataType.FLOAT64);
            for (String name : new String[] {"nesterov", "nesterov:window=5,average=3"}) {
                Solution s = Solvers.parse(name).solve(z -> cell.apply(z, x), zero, SolverOptions.of(3000, 1e-12));
                assertTrue(s.converged(), name + " " + s.summary());
                assertTrue(LinearDeq.maxAbsDiff(LinearDeq.mat(s.z()), p.zStar()) < 1e-8, name);
            }
            NDArray one = m.ones(new Shape(3, 3));
            DivergenceException e = assertThrows(DivergenceException.class,
                    () -> Solvers.parse("nesterov").solve(z -> z.mul(3), one, SolverOptions.of(100, 1e-6)));
            assertTrue(e.getMessage().contains("grew"), e.getMessage());
        }
    }
}
