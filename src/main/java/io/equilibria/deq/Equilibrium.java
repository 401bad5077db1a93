package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import io.equilibria.solvers.Solution;

/** A DEQ layer's forward result: the fixed point z* (owned by the caller) and how the solver got there. */
public record Equilibrium(NDArray z, Solution forward) implements AutoCloseable {
    @Override
    public void close() { z.close(); }
}
