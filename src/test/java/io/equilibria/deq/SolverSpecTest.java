package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The solver spec (parsing, cards) and the phantom gradient it can ask for, on a float64 linear DEQ. */
class SolverSpecTest {
    private static final SolverSpec SPEC = new SolverSpec("anderson", 2000, 1e-13, "ift", 2000, 1e-13);

    @Test
    void specsParseTheirPartsAndRoundTripThroughACard() {
        SolverSpec s = new SolverSpec(SolverSpec.ANDERSON, 200, 1e-4, "phantom:5,0.5", 100, 1e-6);
        assertEquals(new GradientMode.Neumann(5, 0.5), s.gradientMode());
        assertEquals(200, s.forwardOptions().maxIterations());
        assertTrue(s.forwardOptions().batched());
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("kind", "LBEN");
        assertSame(s, SolverSpec.fromCard(card, s), "a card without a spec keeps the model's default");
        SolverSpec other = s.withSolver("broyden:m=10").withForward(1e-5, 50).withGradient("ift").withBackward(1e-3, 7);
        card.put(SolverSpec.CARD_FIELD, other.toMap());
        assertEquals(other, SolverSpec.fromCard(card, s));
        assertThrows(IllegalArgumentException.class, () -> s.withSolver("newton"));
        assertThrows(IllegalArgumentException.class, () -> s.withGradient("phantom:x"));
        assertThrows(IllegalArgumentException.class, () -> s.withGradient("phantom:3,1.5"));
    }

    /** phantom:K,λ back-propagates K recorded damped steps: G = λ Σ_{j<K} C ((1−λ)I + λW)^j for the linear map. */
    @Test
    void phantomGradientMatchesItsClosedForm() {
        LinearDeq p = new LinearDeq(10, 4, 3, 0.85, 13);
        RealMatrix z = p.zStar();
        int k = 4;
        double lam = 0.5;
        RealMatrix damped = MatrixUtils.createRealIdentityMatrix(p.d).scalarMultiply(1 - lam).add(p.w.scalarMultiply(lam));
        RealMatrix term = p.c.copy(), g = p.c.copy();
        for (int j = 1; j < k; j++) {
            term = term.multiply(damped);
            g = g.add(term);
        }
        g = g.scalarMultiply(lam);
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray w = LinearDeq.nd(m, p.w), u = LinearDeq.nd(m, p.u), x = LinearDeq.nd(m, p.x);
            w.setRequiresGradient(true);
            u.setRequiresGradient(true);
            DeqLayer layer = SPEC.withGradient("phantom:" + k + "," + lam).layer(LinearDeq.cell(w, u));
            try (Equilibrium eq = layer.forward(x, null, new Shape(p.n, p.d))) {
                assertTrue(eq.forward().converged());
                DeqLayer.Backward b = layer.backward(x, eq, LinearDeq.nd(m, p.c), true);
                assertEquals(k - 1, b.iterations());
                assertTrue(LinearDeq.maxAbsDiff(LinearDeq.mat(b.inputGradient()), g.multiply(p.u)) < 1e-9, "dL/dx");
                assertTrue(LinearDeq.maxAbsDiff(LinearDeq.mat(w.getGradient()), g.transpose().multiply(z)) < 1e-9, "dL/dW");
                assertTrue(LinearDeq.maxAbsDiff(LinearDeq.mat(u.getGradient()), g.transpose().multiply(p.x)) < 1e-9, "dL/dU");
            }
        }
    }
}
