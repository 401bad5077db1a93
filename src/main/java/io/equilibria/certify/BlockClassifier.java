package io.equilibria.certify;

import io.equilibria.compute.Tensors;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.equilibria.compute.Compute;

/**
 * A {@link Classifier} over any DJL block (the project's models, or a TorchScript model loaded by DJL) that maps a
 * batch (B, C, H, W) to logits (B, classes). The noise is added by the caller in input space; the block's input is
 * ((x − mean) / std) per channel, the normalisation the model was trained with, so σ and radii stay in input units.
 * Each batch runs in its own sub-manager, so nothing accumulates over the n = 10⁵ samples of a certificate.
 */
public final class BlockClassifier implements Classifier, AutoCloseable {
    private final Block block;
    private final int classes;
    private final int[] shape;
    private final float[] mean, std;
    private final NDManager manager;
    private final AutoCloseable owned;

    /**
     * @param shape one input's (C, H, W)
     * @param mean  per-channel mean subtracted before the block (length C, or empty for none)
     * @param std   per-channel standard deviation divided by (length C, or empty for none)
     */
    public BlockClassifier(Block block, int classes, int[] shape, float[] mean, float[] std, Device device) {
        this(block, classes, shape, mean, std, device, null);
    }

    /** As above, and {@link #close()} also closes {@code owned} (e.g. the DJL model the block belongs to), if not null. */
    BlockClassifier(Block block, int classes, int[] shape, float[] mean, float[] std, Device device, AutoCloseable owned) {
        if (shape.length != 3) throw new IllegalArgumentException("input shape must be (C, H, W)");
        if ((mean.length != 0 && mean.length != shape[0]) || (std.length != 0 && std.length != shape[0])) {
            throw new IllegalArgumentException("mean/std need one value per channel (" + shape[0] + ")");
        }
        for (float s : std) if (!(s > 0)) throw new IllegalArgumentException("std must be positive");
        this.block = block;
        this.classes = classes;
        this.shape = shape.clone();
        this.mean = mean.clone();
        this.std = std.clone();
        this.manager = Compute.manager(device);
        this.owned = owned;
    }

    @Override public int numClasses() { return classes; }
    @Override public int[] inputShape() { return shape.clone(); }

    @Override
    public int[] classify(float[][] batch) {
        return Classifier.labels(logits(batch));
    }

    /** The block's logits for a batch of flattened inputs, as [B][classes]. */
    public float[][] logits(float[][] batch) {
        int b = batch.length;
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = Tensors.owned(sub.create(flatten(batch), new Shape(b, shape[0], shape[1], shape[2])));
            if (mean.length > 0) x = x.sub(Tensors.owned(sub.create(mean, new Shape(1, shape[0], 1, 1))));
            if (std.length > 0) x = x.div(Tensors.owned(sub.create(std, new Shape(1, shape[0], 1, 1))));
            NDArray out = block.forward(new ParameterStore(sub, false), new NDList(x), false).singletonOrThrow();
            if (out.getShape().dimension() != 2 || out.getShape().get(0) != b || out.getShape().get(1) != classes) {
                throw new IllegalStateException("the model returned " + out.getShape() + ", expected (" + b + ", " + classes + ")");
            }
            return Classifier.rows(out.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(), classes);
        }
    }

    @Override
    public void close() {
        try {
            manager.close();
        } finally {
            if (owned != null) {
                try {
                    owned.close();
                } catch (Exception e) {
                    throw new IllegalStateException("could not close " + owned + ": " + e.getMessage(), e);
                }
            }
        }
    }
}
