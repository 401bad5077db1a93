package io.equilibria.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.initializer.XavierInitializer;

/**
 * A fully connected layer y = x Wᵀ + b (W of shape (units, in), acting on the last axis) whose weight is spectrally
 * normalised ({@link SpectralNorm.Mode#MATRIX}, exact here) on every forward. Xavier initialisation by default. The
 * power vectors advance only in training forwards and are saved with the parameters.
 */
public final class SnLinear extends SpectralNormLayer {
    private final int units;

    private SnLinear(Builder b) {
        super(SpectralNorm.builder().mode(SpectralNorm.Mode.MATRIX).bound(b.bound)
                .powerIterations(b.powerIterations).seed(b.seed).build(), b);
        units = b.units;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    Shape weightShape(Shape input) {
        return new Shape(units, input.get(input.dimension() - 1));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(units)};
    }

    @Override
    NDArray apply(NDArray x, NDArray w, NDArray b) {
        return Linear.linear(x, w, b).singletonOrThrow();
    }

    /** Settings of the layer; besides {@link SpectralNormLayer.Builder}'s, Xavier initialisation by default. */
    public static final class Builder extends SpectralNormLayer.Builder<Builder> {
        private int units = -1;

        private Builder() {
            super(new XavierInitializer());
        }

        public Builder units(int n) {
            units = n;
            return this;
        }

        public SnLinear build() {
            if (units < 1) throw new IllegalArgumentException("units must be set");
            return new SnLinear(this);
        }
    }
}
