package io.equilibria.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * What {@link SnConv2d}, {@link SnConv3d} and {@link SnLinear} share: a {@code weight} (and optional {@code bias}) parameter, in that
 * order, a {@link SpectralNorm} that rescales the weight on every forward (its power vectors advance only in training
 * forwards), and that norm's state saved after the parameters. A subclass gives the weight's shape and the map itself.
 */
public abstract sealed class SpectralNormLayer extends AbstractBlock permits SnConv, SnLinear {
    private final SpectralNorm norm;
    private final Parameter weight;
    private final Parameter bias;

    SpectralNormLayer(SpectralNorm norm, Builder<?> b) {
        this.norm = norm;
        weight = addParameter(Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT)
                .optInitializer(b.initializer).build());
        bias = b.bias ? addParameter(Parameter.builder().setName("bias").setType(Parameter.Type.BIAS).build()) : null;
    }

    public SpectralNorm spectralNorm() {
        return norm;
    }

    /** Current σ̂ of the raw weight. */
    public double sigma() {
        return norm.sigma();
    }

    /** Power iteration to convergence on the current weight (no gradients), returns σ̂. */
    public double estimate(int iterations) {
        return norm.estimate(weight.getArray(), iterations);
    }

    public Parameter weight() {
        return weight;
    }

    /** The weight's shape for this input shape; its first axis is the outputs, the bias's only axis. */
    abstract Shape weightShape(Shape input);

    /** The layer's map of {@code x} with the normalised weight {@code w} and the bias {@code b} (null without one). */
    abstract NDArray apply(NDArray x, NDArray w, NDArray b);

    @Override
    protected final void prepare(Shape[] inputShapes) {
        Shape w = weightShape(inputShapes[0]);
        weight.setShape(w);
        if (bias != null) bias.setShape(new Shape(w.get(0)));
    }

    @Override
    protected final NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray y;
        try (NDScope ignored = new NDScope()) {
            // the store may hand out (and cache) a device copy: it is not ours to close
            NDArray w = ps.getValue(weight, x.getDevice(), training);
            NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
            NDScope.unregister(w);
            if (b != null) NDScope.unregister(b);
            y = apply(x, norm.normalize(w, training), b);
            NDScope.unregister(y);
        }
        NDScope.register(y); // the output belongs to the caller's scope, if any, not to ours
        return new NDList(y);
    }

    @Override
    public final void saveParameters(DataOutputStream os) throws IOException {
        super.saveParameters(os);
        norm.save(os);
    }

    @Override
    public final void loadParameters(NDManager manager, DataInputStream is) throws IOException, MalformedModelException {
        super.loadParameters(manager, is);
        norm.load(manager, is);
    }

    /** The settings every spectrally normalised layer takes; {@code B} is the concrete builder, returned by each. */
    public abstract static sealed class Builder<B extends Builder<B>> permits SnConv.ConvBuilder, SnLinear.Builder {
        boolean bias = true;
        double bound = 1.0;
        int powerIterations = 1;
        long seed = 0x5eedL;
        Initializer initializer;

        Builder(Initializer initializer) {
            this.initializer = initializer;
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        /** Whether the layer has a bias (default yes). */
        public B bias(boolean b) {
            bias = b;
            return self();
        }

        /** Target bound c (default 1). */
        public B bound(double c) {
            bound = c;
            return self();
        }

        /** Power steps per training forward (default 1). */
        public B powerIterations(int n) {
            powerIterations = n;
            return self();
        }

        /** Seed of the power vectors. */
        public B seed(long s) {
            seed = s;
            return self();
        }

        /** Weight initialiser. */
        public B initializer(Initializer init) {
            initializer = init;
            return self();
        }
    }
}
