package io.equilibria.deq;

import ai.djl.ndarray.NDArray;

/** u ↦ Jᵀu for the Jacobian J = ∂T/∂z of a DEQ map at its fixed point (a backward solve's only need). */
@FunctionalInterface
public interface JacobianTranspose {
    /** Jᵀu as a new array the caller owns. */
    NDArray apply(NDArray u);
}
