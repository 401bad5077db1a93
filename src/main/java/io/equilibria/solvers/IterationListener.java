package io.equilibria.solvers;

import ai.djl.ndarray.NDArray;

/**
 * Called after every iteration of any iterative method (a reconstruction loop or a fixed-point solver) with the
 * current iterate (owned by the method: read it, do not keep it) and the method's convergence measure: the relative
 * change ||x_k - x_{k-1}|| / ||x_k|| of the classical loops, the fixed-point residual of the solvers (each method's
 * result says which it stops on). Returning false stops the run (user cancel); the result then says so.
 */
@FunctionalInterface
public interface IterationListener {
    boolean onIteration(int iteration, int maxIterations, NDArray x, double convergence);

    IterationListener NONE = (k, max, x, change) -> true;
}
