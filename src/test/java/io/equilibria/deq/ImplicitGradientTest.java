package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Gradients through the fixed point of a float64 linear DEQ against closed forms and finite differences. */
class ImplicitGradientTest {
    private static final SolverOptions TIGHT = SolverOptions.of(2000, 1e-14);
    private static final SolverOptions BACK = SolverOptions.of(2000, 1e-14);

    private record Grads(RealMatrix x, RealMatrix w, RealMatrix u, DeqLayer.Backward info) {}

    private static Grads run(LinearDeq p, String mode, NDManager m) {
        NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x);
        w.setRequiresGradient(true);
        u.setRequiresGradient(true);
        DeqLayer layer = new DeqLayer(LinearDeq.cell(w, u), Solvers.parse("anderson"), TIGHT, GradientMode.parse(mode, BACK));
        try (Equilibrium eq = layer.forward(x, null, new Shape(p.n, p.d))) {
            assertTrue(eq.forward().converged());
            DeqLayer.Backward b = layer.backward(x, eq, LinearDeq.nd(m, p.c), true);
            return new Grads(LinearDeq.mat(b.inputGradient()), LinearDeq.mat(w.getGradient()), LinearDeq.mat(u.getGradient()), b);
        }
    }

    @Test
    void implicitGradientsMatchTheClosedFormWithEverySolver() {
        LinearDeq p = new LinearDeq(10, 4, 3, 0.85, 11);
        RealMatrix g = p.cotangent(0);
        RealMatrix z = p.zStar();
        for (String mode : new String[] {"ift", "ift:picard", "ift:broyden", "ift:anderson:m=4"}) {
            try (NDManager m = TestSupport.manager().newSubManager()) {
                Grads r = run(p, mode, m);
                assertTrue(r.info().converged(), mode);
                assertTrue(LinearDeq.maxAbsDiff(r.x(), g.multiply(p.u)) < 1e-6, mode + " dL/dx");
                assertTrue(LinearDeq.maxAbsDiff(r.w(), g.transpose().multiply(z)) < 1e-6, mode + " dL/dW");
                assertTrue(LinearDeq.maxAbsDiff(r.u(), g.transpose().multiply(p.x)) < 1e-6, mode + " dL/dU");
            }
        }
    }

    @Test
    void jfbAndNeumannMatchTheirOwnClosedForms() {
        LinearDeq p = new LinearDeq(10, 4, 3, 0.85, 12);
        RealMatrix z = p.zStar();
        for (int terms : new int[] {1, 2, 5}) {
            RealMatrix g = p.cotangent(terms);
            try (NDManager m = TestSupport.manager().newSubManager()) {
                Grads r = run(p, terms == 1 ? "jfb" : "neumann:" + terms, m);
                assertEquals(terms - 1, r.info().iterations());
                assertTrue(LinearDeq.maxAbsDiff(r.x(), g.multiply(p.u)) < 1e-9, "K=" + terms + " dL/dx");
                assertTrue(LinearDeq.maxAbsDiff(r.w(), g.transpose().multiply(z)) < 1e-9, "K=" + terms + " dL/dW");
                assertTrue(LinearDeq.maxAbsDiff(r.u(), g.transpose().multiply(p.x)) < 1e-9, "K=" + terms + " dL/dU");
            }
        }
        // and they differ from the exact gradient (the test would not notice a mode that silently ran IFT)
        RealMatrix exact = p.cotangent(0), jfb = p.cotangent(1);
        assertTrue(LinearDeq.maxAbsDiff(exact, jfb) > 1e-2);
    }

    /** A nonlinear cell, tanh(W z + U x), against central finite differences of the solved loss. */
    @Test
    void implicitGradientsMatchFiniteDifferencesOnANonlinearCell() {
        LinearDeq p = new LinearDeq(6, 3, 2, 0.7, 13);
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x), c = LinearDeq.nd(m, p.c);
            w.setRequiresGradient(true);
            DeqCell cell = (z, xx) -> z.matMul(w.transpose()).add(xx.matMul(u.transpose())).tanh();
            DeqLayer layer = new DeqLayer(cell, Solvers.parse("anderson"), TIGHT, GradientMode.parse("ift", BACK));
            NDArray gw;
            try (Equilibrium eq = layer.forward(x, null, new Shape(p.n, p.d))) {
                DeqLayer.Backward b = layer.backward(x, eq, c, true);
                gw = w.getGradient().duplicate();
                double h = 1e-6;
                double[] xs = x.toDoubleArray();
                double[] gx = b.inputGradient().toDoubleArray();
                for (int i = 0; i < xs.length; i++) {
                    double[] plus = xs.clone(), minus = xs.clone();
                    plus[i] += h;
                    minus[i] -= h;
                    double fd = (loss(layer, m.create(plus, x.getShape()), c, p) - loss(layer, m.create(minus, x.getShape()), c, p)) / (2 * h);
                    assertEquals(fd, gx[i], 1e-7, "dL/dx[" + i + "]");
                }
            }
            double[] ws = p.w.getData()[0].clone();
            double h = 1e-6;
            for (int j = 0; j < p.d; j++) {
                double fd = (lossW(p, 0, j, h, cell, m, x, c) - lossW(p, 0, j, -h, cell, m, x, c)) / (2 * h);
                assertEquals(fd, gw.getDouble(0, j), 1e-7, "dL/dW[0," + j + "]");
            }
        }
    }

    private static double loss(DeqLayer layer, NDArray x, NDArray c, LinearDeq p) {
        try (Equilibrium eq = layer.forward(x, null, new Shape(p.n, p.d))) {
            return eq.z().mul(c).sum().getDouble();
        }
    }

    private static double lossW(LinearDeq p, int i, int j, double h, DeqCell unused, NDManager m, NDArray x, NDArray c) {
        RealMatrix w2 = p.w.copy();
        w2.addToEntry(i, j, h);
        NDArray w = LinearDeq.nd(m, w2), u = LinearDeq.nd(m, p.u);
        DeqCell cell = (z, xx) -> z.matMul(w.transpose()).add(xx.matMul(u.transpose())).tanh();
        DeqLayer layer = new DeqLayer(cell, Solvers.parse("anderson"), TIGHT, GradientMode.parse("ift", BACK));
        return loss(layer, x, c, p);
    }

    /** Gradients the caller accumulated before (e.g. a head on top of z*) survive the layer's backward. */
    @Test
    void backwardAddsToExistingGradientsInsteadOfWipingThem() {
        LinearDeq p = new LinearDeq(5, 3, 2, 0.6, 14);
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x);
            w.setRequiresGradient(true);
            u.setRequiresGradient(true);
            Autograd.recording(() -> {
                Autograd.backward(w.mul(3).sum(), m.ones(new Shape(), DataType.FLOAT64), false, false); // dW += 3
                return null;
            });
            DeqLayer layer = new DeqLayer(LinearDeq.cell(w, u), Solvers.parse("anderson"), TIGHT, GradientMode.parse("ift", BACK));
            try (Equilibrium eq = layer.forward(x, null, new Shape(p.n, p.d))) {
                layer.backward(x, eq, LinearDeq.nd(m, p.c), false);
            }
            RealMatrix expected = p.cotangent(0).transpose().multiply(p.zStar()).scalarAdd(3);
            assertTrue(LinearDeq.maxAbsDiff(LinearDeq.mat(w.getGradient()), expected) < 1e-6);
        }
    }
}
