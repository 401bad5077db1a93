package io.equilibria.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Convolutions;

/**
 * A stride-1 2-D convolution (NCHW) whose kernel is spectrally normalised on every forward; by default 3×3 with
 * "same" zero padding, a bias, He initialisation and the {@link SpectralNorm.Mode#OPERATOR} norm on 32×32 patches,
 * so the layer is c-Lipschitz as a map of images (up to the small finite-patch underestimate, see
 * {@link SpectralNorm}). The power vectors advance only in training forwards and are saved with the parameters.
 */
public final class SnConv2d extends SnConv {
    private SnConv2d(Builder b, int padding) {
        super(SpectralNorm.builder().mode(b.mode).bound(b.bound).powerIterations(b.powerIterations)
                .inputSize(b.normHeight, b.normWidth).padding(padding, padding).seed(b.seed).build(), b, padding, 2);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    NDArray apply(NDArray x, NDArray w, NDArray b) {
        // through Convolutions: oneDNN's input gradient of a convolution to 1 channel (a DnCNN's last layer) is wrong
        return Convolutions.conv2d(x, w, b, new Shape(1, 1), new Shape(padding, padding));
    }

    /**
     * Settings of the layer ({@link SnConv.ConvBuilder}'s and the patch the norm is measured on); Xavier instead of He
     * is {@code initializer(new XavierInitializer())}.
     */
    public static final class Builder extends SnConv.ConvBuilder<Builder> {
        private int normHeight = 32;
        private int normWidth = 32;

        private Builder() {}

        /** OPERATOR mode: the patch size the norm is measured on (default 32×32). */
        public Builder normSize(int h, int w) {
            normHeight = h;
            normWidth = w;
            return this;
        }

        public SnConv2d build() {
            return new SnConv2d(this, checkedPadding());
        }
    }
}
