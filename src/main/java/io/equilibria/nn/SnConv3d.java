package io.equilibria.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Convolutions;

/**
 * A stride-1 3-D convolution (NCDHW) whose kernel is spectrally normalised on every forward, the volume counterpart of
 * {@link SnConv2d}: by default 3×3×3 with "same" zero padding, a bias, He initialisation and the
 * {@link SpectralNorm.Mode#OPERATOR} norm measured on 16×16×16 patches (the norm of the convolution as a map of
 * volumes, by power iteration with the adjoint: the kernel flipped in all three axes, in/out channels swapped). The
 * power vectors advance only in training forwards and are saved with the parameters.
 */
public final class SnConv3d extends SnConv {
    private SnConv3d(Builder b, int padding) {
        super(SpectralNorm.builder().mode(b.mode).bound(b.bound).powerIterations(b.powerIterations)
                .inputSize(b.normDepth, b.normHeight, b.normWidth).padding(padding, padding, padding).seed(b.seed).build(), b, padding, 3);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    NDArray apply(NDArray x, NDArray w, NDArray b) {
        // through Convolutions: oneDNN's input gradient of a convolution to 1 channel (the last layer) is wrong
        return Convolutions.conv3d(x, w, b, new Shape(1, 1, 1), new Shape(padding, padding, padding));
    }

    /** Settings of the layer: {@link SnConv.ConvBuilder}'s and the patch the norm is measured on. */
    public static final class Builder extends SnConv.ConvBuilder<Builder> {
        private int normDepth = 16;
        private int normHeight = 16;
        private int normWidth = 16;

        private Builder() {}

        /** OPERATOR mode: the patch (depth, height, width) the norm is measured on (default 16×16×16). */
        public Builder normSize(int d, int h, int w) {
            normDepth = d;
            normHeight = h;
            normWidth = w;
            return this;
        }

        public SnConv3d build() {
            return new SnConv3d(this, checkedPadding());
        }
    }
}
