package io.equilibria.reconstruct;

import ai.djl.ndarray.NDArray;
import io.equilibria.physics.LinearOperator;

/** One reconstruction method on any {@link LinearOperator}; measurements {@code y} are in normalised units. */
public interface Reconstructor {
    String name();

    Result reconstruct(LinearOperator a, NDArray y, IterationListener listener);
}
