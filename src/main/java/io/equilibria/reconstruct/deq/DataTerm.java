package io.equilibria.reconstruct.deq;

import io.equilibria.compute.Scalars;
import ai.djl.ndarray.NDArray;
import io.equilibria.physics.LinearOperator;

import java.util.List;
import java.util.Map;

/**
 * The data-fidelity part of a DEQ reconstruction map for a batch of N problems (state (N, 1, H, W)): the gradient of
 * g(x) = c·½‖Ax − y‖² per problem (c = {@link LinearOperator#dataScale}, 1/K for K frames), either exact ({@link #full}) or a stochastic minibatch estimate over measurement
 * blocks (ODER, {@link io.equilibria.reconstruct.oder.MinibatchData}). Keeping this one seam lets the same map,
 * solvers and trainer serve full-batch DEQs and ODER.
 */
public interface DataTerm extends AutoCloseable {
    /** ∇g(z) = Aᵀ(Az − y) per problem, or its estimate; a stochastic term draws a fresh minibatch per call. */
    NDArray gradient(NDArray z);

    /** The Gauss–Newton product AᵀA u (symmetric), or its estimate from a fresh minibatch; used by backward solves. */
    NDArray normal(NDArray u);

    /** Factor on RED's prior weight τ: 1, or B/I for the raw (un-rescaled) minibatch gradient, so E[T] keeps its fixed point. */
    default double priorScale() { return 1; }

    /** True when every call uses all blocks (the map is deterministic). */
    default boolean deterministic() { return true; }

    /**
     * A bound L_i on the curvature of the gradient this term returns for problem i, ‖c·AᵀA‖ (for a stochastic term, the
     * largest over draws, estimated), so a solver that is not Anderson can take steps ≤ 1/L.
     */
    double curvature(int problem);

    /** Frees what the term cached (restricted operators); the operators and measurements it was given stay open. */
    @Override
    default void close() {}

    /** What the term does, for reports (kind, blocks, sampling, scaling, counts). */
    Map<String, Object> describe();

    /** Makes the data term of a batch of problems (full batch, or an ODER minibatch policy). */
    @FunctionalInterface
    interface Factory {
        DataTerm create(List<LinearOperator> ops, List<NDArray> ys);
    }

    Factory FULL = DataTerm::full;

    /**
     * w·c·‖B‖² with 5% margin over the power-iteration estimate (which converges from below); B is the operator (or a
     * restriction of it to some blocks) and c its data scale.
     */
    static double curvatureOf(LinearOperator b, double dataScale, ai.djl.ndarray.NDManager m, double weight) {
        double n = b.normEstimate(m, 20, 7);
        return 1.05 * weight * dataScale * n * n;
    }

    /** Aᵀ(Ax − y), or AᵀAx when {@code y} is null (the normal product), for x in A's domain shape. */
    static NDArray residualGradient(LinearOperator a, NDArray x, NDArray y) {
        NDArray ax = a.apply(x);
        return a.adjoint(y == null ? ax : ax.sub(y));
    }

    /** g multiplied by the operator's data scale (see {@link LinearOperator#dataScale}). */
    static NDArray scaled(LinearOperator a, NDArray g) {
        double c = a.dataScale();
        return c == 1 ? g : Scalars.times(g, c);
    }

    /** The exact gradient over all blocks of each problem's operator. */
    static DataTerm full(List<LinearOperator> ops, List<NDArray> ys) {
        if (ops.size() != ys.size()) throw new IllegalArgumentException(ops.size() + " operators but " + ys.size() + " measurements");
        return new DataTerm() {
            @Override
            public NDArray gradient(NDArray z) {
                return DeqMap.perProblem(z, i -> scaled(ops.get(i), residualGradient(ops.get(i), z.get(i).reshape(ops.get(i).domainShape()), ys.get(i))));
            }

            @Override
            public NDArray normal(NDArray u) {
                return DeqMap.perProblem(u, i -> scaled(ops.get(i), residualGradient(ops.get(i), u.get(i).reshape(ops.get(i).domainShape()), null)));
            }

            private final double[] cache = new double[ops.size()];

            @Override
            public double curvature(int i) {
                if (cache[i] == 0) cache[i] = curvatureOf(ops.get(i), ops.get(i).dataScale(), ys.get(i).getManager(), 1.0);
                return cache[i];
            }

            @Override
            public Map<String, Object> describe() {
                return Map.of("data", "full batch", "blocks", ops.get(0).blockCount());
            }
        };
    }
}
