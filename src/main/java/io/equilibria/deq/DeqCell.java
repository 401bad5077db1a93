package io.equilibria.deq;

import ai.djl.ndarray.NDArray;

/**
 * One application of a deep-equilibrium layer's map, z ↦ T(z; x, θ). The parameters θ are whatever arrays the cell
 * reads that require gradients (DJL block parameters, or plain arrays); backward passes accumulate into their
 * gradients. It must be a pure function of z and x for fixed θ and must not close its arguments.
 */
@FunctionalInterface
public interface DeqCell {
    NDArray apply(NDArray z, NDArray x);
}
