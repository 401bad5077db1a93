package io.equilibria.compute;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

import java.util.function.Supplier;

/**
 * The few autograd operations DJL's public API lacks, on the PyTorch engine: a backward pass with an explicit
 * cotangent that keeps the graph (one vector–Jacobian product per call), zeroing one array's gradient, and regions
 * where no graph is recorded. Only one DJL {@link GradientCollector} may be active; {@link #recording} opens one
 * only when none is.
 */
public final class Autograd {
    private Autograd() {}

    /** Runs {@code body} without recording a graph (the forward fixed-point solve), restoring the previous mode. */
    public static <T> T noGrad(Supplier<T> body) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /** Runs {@code body} with graph recording on: inside the caller's collector if one is active, else in a new one. */
    public static <T> T recording(Supplier<T> body) {
        if (JniUtils.isGradMode()) return body.get();
        try (GradientCollector ignored = Compute.engine().newGradientCollector()) {
            return body.get();
        }
    }

    /** Accumulates cotangᵀ ∂y/∂leaf into every leaf's gradient. */
    public static void backward(NDArray y, NDArray cotangent, boolean keepGraph, boolean createGraph) {
        JniUtils.backward((PtNDArray) y, (PtNDArray) cotangent, keepGraph, createGraph);
    }

    /**
     * The gradient accumulated in {@code a}, or an error if backward never reached it (DJL's own getter would
     * silently return zeros, which would turn a broken graph into a wrong gradient).
     */
    public static NDArray gradient(NDArray a) {
        PtNDArray g = JniUtils.getGradient((PtNDArray) a);
        if (g == null) throw new IllegalStateException("the backward pass did not reach this array (no gradient was recorded)");
        return g;
    }

    public static void zeroGrad(NDArray a) {
        JniUtils.zeroGrad((PtNDArray) a);
    }

    /** A fresh leaf with the values of {@code a} that records gradients. */
    public static NDArray leaf(NDArray a) {
        NDArray l = a.duplicate();
        l.setRequiresGradient(true);
        return l;
    }
}
