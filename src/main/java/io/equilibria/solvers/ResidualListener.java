package io.equilibria.solvers;

/** Called after every evaluation of T; returning false cancels the solve (the best iterate so far is returned). */
@FunctionalInterface
public interface ResidualListener {
    boolean onIteration(int iteration, int maxIterations, double residual);
}
