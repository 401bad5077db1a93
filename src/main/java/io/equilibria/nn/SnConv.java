package io.equilibria.nn;

import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.XavierInitializer;

import java.util.Arrays;

/**
 * What the stride-1 spectrally normalised convolutions share whatever their dimension ({@link SnConv2d},
 * {@link SnConv3d}): output channels, a cubic kernel, zero padding on every side, the weight's and the output's
 * shapes, and the builder of those settings.
 */
abstract sealed class SnConv extends SpectralNormLayer permits SnConv2d, SnConv3d {
    final int outChannels;
    final int kernel;
    final int padding;
    private final int dimensions;

    SnConv(SpectralNorm norm, ConvBuilder<?> b, int padding, int dimensions) {
        super(norm, b);
        this.outChannels = b.outChannels;
        this.kernel = b.kernel;
        this.padding = padding;
        this.dimensions = dimensions;
    }

    @Override
    Shape weightShape(Shape input) {
        if (input.dimension() != dimensions + 2) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " takes (N, C" + ", D, H, W".substring(3 * (3 - dimensions))
                    + ") input, got " + input);
        }
        long[] w = new long[dimensions + 2];
        Arrays.fill(w, kernel);
        w[0] = outChannels;
        w[1] = input.get(1);
        return new Shape(w);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long[] s = inputShapes[0].getShape().clone();
        long grow = 2L * padding - kernel + 1;
        s[1] = outChannels;
        for (int i = 2; i < s.length; i++) s[i] += grow;
        return new Shape[] {new Shape(s)};
    }

    /** The convolutions' settings besides {@link SpectralNormLayer.Builder}'s; a He (Gaussian, fan-in, magnitude 2) kernel initialiser by default. */
    abstract static sealed class ConvBuilder<B extends ConvBuilder<B>> extends SpectralNormLayer.Builder<B>
            permits SnConv2d.Builder, SnConv3d.Builder {
        int outChannels = -1;
        int kernel = 3;
        int padding = -1;
        SpectralNorm.Mode mode = SpectralNorm.Mode.OPERATOR;

        ConvBuilder() {
            super(new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2)); // He
        }

        @SuppressWarnings("unchecked")
        private B me() {
            return (B) this;
        }

        public B outChannels(int n) {
            outChannels = n;
            return me();
        }

        /** Kernel size along every axis (default 3); padding defaults to kernel/2 ("same" for odd kernels). */
        public B kernel(int k) {
            kernel = k;
            return me();
        }

        /** Zero padding on each side of every axis (default kernel/2). */
        public B padding(int p) {
            padding = p;
            return me();
        }

        /** How the norm is measured (default {@link SpectralNorm.Mode#OPERATOR}). */
        public B mode(SpectralNorm.Mode m) {
            mode = m;
            return me();
        }

        /** The padding the layer gets, after checking the settings. */
        int checkedPadding() {
            if (outChannels < 1) throw new IllegalArgumentException("outChannels must be set");
            if (kernel < 1) throw new IllegalArgumentException("kernel must be positive");
            return padding < 0 ? kernel / 2 : padding;
        }
    }
}
