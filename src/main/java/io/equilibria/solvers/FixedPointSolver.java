package io.equilibria.solvers;

import ai.djl.ndarray.NDArray;

/**
 * Finds z* = T(z*) from a warm start z0 (never closed or modified). Implementations keep memory flat: every
 * iteration's intermediates live in their own scope, and histories are fixed-size buffers.
 */
public interface FixedPointSolver {
    /** Short name with settings, e.g. {@code anderson(m=5, lambda=1e-4, beta=1)}. */
    String describe();

    Solution solve(FixedPointMap map, NDArray z0, SolverOptions options);
}
