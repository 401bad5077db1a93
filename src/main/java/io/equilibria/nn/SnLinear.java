package io.equilibria.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A fully connected layer y = x Wᵀ + b (W of shape (units, in), acting on the last axis) whose weight is spectrally
 * normalised ({@link SpectralNorm.Mode#MATRIX}, exact here) on every forward. Xavier initialisation by default. The
 * power vectors advance only in training forwards and are saved with the parameters.
 */
public final class SnLinear extends AbstractBlock {
    private final int units;
    private final SpectralNorm norm;
    private final Parameter weight;
    private final Parameter bias;

    private SnLinear(Builder b) {
        units = b.units;
        norm = SpectralNorm.builder().mode(SpectralNorm.Mode.MATRIX).bound(b.bound)
                .powerIterations(b.powerIterations).seed(b.seed).build();
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optInitializer(b.initializer).build());
        bias = b.bias ? addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build()) : null;
    }

    public static Builder builder() {
        return new Builder();
    }

    public SpectralNorm spectralNorm() {
        return norm;
    }

    public double sigma() {
        return norm.sigma();
    }

    public double estimate(int iterations) {
        return norm.estimate(weight.getArray(), iterations);
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        weight.setShape(new Shape(units, s.get(s.dimension() - 1)));
        if (bias != null) bias.setShape(new Shape(units));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(units)};
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray y;
        try (NDScope ignored = new NDScope()) {
            NDArray w = ps.getValue(weight, x.getDevice(), training);
            NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
            NDScope.unregister(w);
            if (b != null) NDScope.unregister(b);
            y = Linear.linear(x, norm.normalize(w, training), b).singletonOrThrow();
            NDScope.unregister(y);
        }
        NDScope.register(y); // the output belongs to the caller's scope, if any, not to ours
        return new NDList(y);
    }

    @Override
    public void saveParameters(DataOutputStream os) throws IOException {
        super.saveParameters(os);
        norm.save(os);
    }

    @Override
    public void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        norm.load(manager, is);
    }

    public static final class Builder {
        private int units = -1;
        private boolean bias = true;
        private double bound = 1.0;
        private int powerIterations = 1;
        private long seed = 0x5eedL;
        private Initializer initializer = new XavierInitializer();

        private Builder() {}

        public Builder units(int n) {
            units = n;
            return this;
        }

        public Builder bias(boolean b) {
            bias = b;
            return this;
        }

        public Builder bound(double c) {
            bound = c;
            return this;
        }

        public Builder powerIterations(int n) {
            powerIterations = n;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public Builder initializer(Initializer init) {
            initializer = init;
            return this;
        }

        public SnLinear build() {
            if (units < 1) throw new IllegalArgumentException("units must be set");
            return new SnLinear(this);
        }
    }
}
