package io.equilibria.reconstruct;

import io.equilibria.solvers.IterationListener;

import ai.djl.ndarray.NDArray;
import io.equilibria.physics.LinearOperator;

/** One reconstruction method on any {@link LinearOperator}; measurements {@code y} are in normalised units. */
public interface Reconstructor {
    String name();

    Result reconstruct(LinearOperator a, NDArray y, IterationListener listener);

    /** Whether {@link #reconstruct(LinearOperator, NDArray, IterationListener, NDArray)} can start from a given estimate. */
    default boolean warmStartable() { return false; }

    /**
     * Reconstructs starting from {@code start} (an estimate in the operator's domain, e.g. the previous slice's fixed
     * point) instead of the method's own initialisation; {@code null} means a cold start. Methods that cannot use a
     * start refuse one rather than ignore it.
     */
    default Result reconstruct(LinearOperator a, NDArray y, IterationListener listener, NDArray start) {
        if (start != null) throw new UnsupportedOperationException(name() + " cannot start from a given estimate");
        return reconstruct(a, y, listener);
    }

    /**
     * As above, also given the measurements {@code startData} that {@code start} was the reconstruction of (the previous
     * slice's, on this slice's grid), so a method may start from {@code start} corrected by what changed in the data;
     * methods without such a correction ignore them.
     */
    default Result reconstruct(LinearOperator a, NDArray y, IterationListener listener, NDArray start, NDArray startData) {
        return reconstruct(a, y, listener, start);
    }
}
