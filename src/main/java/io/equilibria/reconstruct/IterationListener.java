package io.equilibria.reconstruct;

import ai.djl.ndarray.NDArray;

/**
 * Called after every iteration with the current iterate (owned by the solver: read it, do not keep it) and the
 * relative change ||x_k - x_{k-1}|| / ||x_k||. Returning false stops the run (user cancel); the result then says so.
 */
@FunctionalInterface
public interface IterationListener {
    boolean onIteration(int iteration, int maxIterations, NDArray x, double relativeChange);

    IterationListener NONE = (k, max, x, change) -> true;
}
