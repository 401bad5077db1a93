package io.equilibria.physics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Tensors;

import java.util.Map;
import java.util.Random;

/**
 * A linear measurement model {@code y = A x} on tensors: apply, adjoint, an operator-norm estimate, and a view as
 * I blocks {@code A_1..A_I} (frames, row groups) for stochastic minibatch methods (ODER). The unknown lives in
 * {@link #domainShape()}, the data in {@link #rangeShape()}; {@link #toImage} crops an unknown to the field of view.
 */
public interface LinearOperator extends AutoCloseable {
    Shape domainShape();

    Shape rangeShape();

    NDArray apply(NDArray x);

    NDArray adjoint(NDArray y);

    /** Number of measurement blocks; 1 for an operator that cannot be split. */
    default int blockCount() {
        return 1;
    }

    /** The operator made of the listed blocks only ({@code [A_i; A_j; ...]}), sharing this operator's data. */
    default LinearOperator restrict(int... blocks) {
        if (blocks.length == 1 && blocks[0] == 0 && blockCount() == 1) return this;
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has a single block");
    }

    /**
     * The same measurement model on a smaller field of view of {@code height × width} measurements (a crop of the
     * data), for parameter searches that need not see the whole image; null when this operator has no such form.
     * The caller closes it.
     */
    default LinearOperator window(int height, int width) {
        return null;
    }

    /** The part of measurements {@code y} that belongs to the listed blocks, in the order of {@link #restrict}. */
    default NDArray measurementsOf(NDArray y, int... blocks) {
        if (blocks.length == 1 && blocks[0] == 0 && blockCount() == 1) return y;
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has a single block");
    }

    /**
     * A cheap guess of x from y, in the domain (e.g. the observation mirrored into the band an extended boundary
     * adds), or null for none; iterative solvers may start there instead of at zero.
     */
    default NDArray initialGuess(NDArray y) {
        return null;
    }

    /**
     * The share of the unknowns the measurement does not determine (1 − rows/unknowns for compressed sensing, 0 for
     * a convolution): how much a prior must fill in besides removing noise.
     */
    default double nullSpaceFraction() {
        return 0;
    }

    /**
     * The weight c of the data term c·½‖Ax − y‖² a DEQ uses: 1, or 1/K for K observations of one scene (the mean over
     * frames), so that a model trained on single images keeps a stable step size on a stack and the data term's
     * curvature does not grow with K. Its noise level is then σ·√c (K frames average the noise down).
     */
    default double dataScale() {
        return 1;
    }

    /** The displayed image for an unknown (e.g. crop of an extended domain, or of block padding). */
    default NDArray toImage(NDArray x) {
        return x;
    }

    /** A spec of the operator (kind and parameters) for reports and measurement files. */
    Map<String, Object> spec();

    /**
     * Estimates the operator norm {@code ||A||_2} by power iteration on {@code A^T A} from a seeded random start.
     * The result is a lower bound that converges from below; callers that need a safe step size add a margin.
     */
    default double normEstimate(NDManager manager, int iterations, long seed) {
        Random r = new Random(seed);
        float[] v0 = new float[(int) domainShape().size()];
        for (int i = 0; i < v0.length; i++) v0[i] = (float) r.nextGaussian();
        NDArray v = Tensors.owned(manager.create(v0, domainShape()));
        double n = Tensors.norm(v);
        NDArray prev = v.div(n);
        v.close();
        double lambda = 0;
        for (int it = 0; it < iterations; it++) {
            try (NDScope scope = new NDScope()) {
                NDArray w = adjoint(apply(prev));
                double nw = Tensors.norm(w);
                if (nw == 0) return 0;
                lambda = nw;
                NDArray next = w.div(nw);
                NDScope.unregister(next);
                prev.close();
                prev = next;
            }
        }
        prev.close();
        return Math.sqrt(lambda);
    }

    @Override
    default void close() {}
}
