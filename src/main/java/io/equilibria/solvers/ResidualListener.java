package io.equilibria.solvers;

import ai.djl.ndarray.NDArray;

/**
 * Called after every evaluation of T with the iterate z whose residual was measured (valid only during the call);
 * returning false cancels the solve (the best iterate so far is returned, marked cancelled).
 */
@FunctionalInterface
public interface ResidualListener {
    boolean onIteration(int iteration, int maxIterations, double residual, NDArray z);
}
