package io.equilibria.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.initializer.XavierInitializer;

/**
 * A stride-1 2-D convolution (NCHW) whose kernel is spectrally normalised on every forward; by default 3×3 with
 * "same" zero padding, a bias, He initialisation and the {@link SpectralNorm.Mode#OPERATOR} norm on 32×32 patches,
 * so the layer is c-Lipschitz as a map of images (up to the small finite-patch underestimate, see
 * {@link SpectralNorm}). The power vectors advance only in training forwards and are saved with the parameters.
 */
public final class SnConv2d extends SpectralNormLayer {
    private final int outChannels;
    private final int kernel;
    private final int padding;

    private SnConv2d(Builder b, int padding) {
        super(SpectralNorm.builder().mode(b.mode).bound(b.bound).powerIterations(b.powerIterations)
                .inputSize(b.normHeight, b.normWidth).padding(padding, padding).seed(b.seed).build(), b);
        outChannels = b.outChannels;
        kernel = b.kernel;
        this.padding = padding;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    Shape weightShape(Shape input) {
        return new Shape(outChannels, input.get(1), kernel, kernel);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        long grow = 2L * padding - kernel + 1;
        return new Shape[] {new Shape(s.get(0), outChannels, s.get(2) + grow, s.get(3) + grow)};
    }

    @Override
    NDArray apply(NDArray x, NDArray w, NDArray b) {
        return Conv2d.conv2d(x, w, b, new Shape(1, 1), new Shape(padding, padding), new Shape(1, 1), 1).singletonOrThrow();
    }

    /**
     * Settings of the layer; besides {@link SpectralNormLayer.Builder}'s, a kernel initialiser of He (Gaussian,
     * fan-in, magnitude 2) by default; Xavier is {@code initializer(new XavierInitializer())}.
     */
    public static final class Builder extends SpectralNormLayer.Builder<Builder> {
        private int outChannels = -1;
        private int kernel = 3;
        private int padding = -1;
        private SpectralNorm.Mode mode = SpectralNorm.Mode.OPERATOR;
        private int normHeight = 32;
        private int normWidth = 32;

        private Builder() {
            super(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2)); // He
        }

        public Builder outChannels(int n) {
            outChannels = n;
            return this;
        }

        /** Square kernel size (default 3); padding defaults to kernel/2 ("same" for odd kernels). */
        public Builder kernel(int k) {
            kernel = k;
            return this;
        }

        /** Zero padding on each side (default kernel/2). */
        public Builder padding(int p) {
            padding = p;
            return this;
        }

        /** How the norm is measured (default {@link SpectralNorm.Mode#OPERATOR}). */
        public Builder mode(SpectralNorm.Mode m) {
            mode = m;
            return this;
        }

        /** OPERATOR mode: the patch size the norm is measured on (default 32×32). */
        public Builder normSize(int h, int w) {
            normHeight = h;
            normWidth = w;
            return this;
        }

        public SnConv2d build() {
            if (outChannels < 1) throw new IllegalArgumentException("outChannels must be set");
            if (kernel < 1) throw new IllegalArgumentException("kernel must be positive");
            return new SnConv2d(this, padding < 0 ? kernel / 2 : padding);
        }
    }
}
