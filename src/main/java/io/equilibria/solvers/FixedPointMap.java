package io.equilibria.solvers;

import ai.djl.ndarray.NDArray;

/** The iteration map T whose fixed point z* = T(z*) a solver looks for. It must not close its argument. */
@FunctionalInterface
public interface FixedPointMap {
    NDArray apply(NDArray z);
}
