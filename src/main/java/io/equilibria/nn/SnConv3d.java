package io.equilibria.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.training.initializer.XavierInitializer;

/**
 * A stride-1 3-D convolution (NCDHW) whose kernel is spectrally normalised on every forward, the volume counterpart of
 * {@link SnConv2d}: by default 3×3×3 with "same" zero padding, a bias, He initialisation and the
 * {@link SpectralNorm.Mode#OPERATOR} norm measured on 16×16×16 patches (the norm of the convolution as a map of
 * volumes, by power iteration with the adjoint: the kernel flipped in all three axes, in/out channels swapped). The
 * power vectors advance only in training forwards and are saved with the parameters.
 */
public final class SnConv3d extends SpectralNormLayer {
    private final int outChannels;
    private final int kernel;
    private final int padding;

    private SnConv3d(Builder b, int padding) {
        super(SpectralNorm.builder().mode(b.mode).bound(b.bound).powerIterations(b.powerIterations)
                .inputSize(b.normDepth, b.normHeight, b.normWidth).padding(padding, padding, padding).seed(b.seed).build(), b);
        outChannels = b.outChannels;
        kernel = b.kernel;
        this.padding = padding;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    Shape weightShape(Shape input) {
        if (input.dimension() != 5) throw new IllegalArgumentException("SnConv3d takes (N, C, D, H, W) input, got " + input);
        return new Shape(outChannels, input.get(1), kernel, kernel, kernel);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        long grow = 2L * padding - kernel + 1;
        return new Shape[] {new Shape(s.get(0), outChannels, s.get(2) + grow, s.get(3) + grow, s.get(4) + grow)};
    }

    @Override
    NDArray apply(NDArray x, NDArray w, NDArray b) {
        return Conv3d.conv3d(x, w, b, new Shape(1, 1, 1), new Shape(padding, padding, padding), new Shape(1, 1, 1), 1)
                .singletonOrThrow();
    }

    /**
     * Settings of the layer; besides {@link SpectralNormLayer.Builder}'s, a kernel initialiser of He (Gaussian,
     * fan-in, magnitude 2) by default.
     */
    public static final class Builder extends SpectralNormLayer.Builder<Builder> {
        private int outChannels = -1;
        private int kernel = 3;
        private int padding = -1;
        private SpectralNorm.Mode mode = SpectralNorm.Mode.OPERATOR;
        private int normDepth = 16;
        private int normHeight = 16;
        private int normWidth = 16;

        private Builder() {
            super(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2)); // He
        }

        public Builder outChannels(int n) {
            outChannels = n;
            return this;
        }

        /** Cubic kernel size (default 3); padding defaults to kernel/2 ("same" for odd kernels). */
        public Builder kernel(int k) {
            kernel = k;
            return this;
        }

        /** Zero padding on each side of every axis (default kernel/2). */
        public Builder padding(int p) {
            padding = p;
            return this;
        }

        /** How the norm is measured (default {@link SpectralNorm.Mode#OPERATOR}). */
        public Builder mode(SpectralNorm.Mode m) {
            mode = m;
            return this;
        }

        /** OPERATOR mode: the patch (depth, height, width) the norm is measured on (default 16×16×16). */
        public Builder normSize(int d, int h, int w) {
            normDepth = d;
            normHeight = h;
            normWidth = w;
            return this;
        }

        public SnConv3d build() {
            if (outChannels < 1) throw new IllegalArgumentException("outChannels must be set");
            if (kernel < 1) throw new IllegalArgumentException("kernel must be positive");
            return new SnConv3d(this, padding < 0 ? kernel / 2 : padding);
        }
    }
}
