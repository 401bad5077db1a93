package io.equilibria.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.PairList;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * A stride-1 2-D convolution (NCHW) whose kernel is spectrally normalised on every forward; by default 3×3 with
 * "same" zero padding, a bias, He initialisation and the {@link SpectralNorm.Mode#OPERATOR} norm on 32×32 patches,
 * so the layer is c-Lipschitz as a map of images (up to the small finite-patch underestimate, see
 * {@link SpectralNorm}). The power vectors advance only in training forwards and are saved with the parameters.
 */
public final class SnConv2d extends AbstractBlock {
    private final int outChannels;
    private final int kernel;
    private final int padding;
    private final SpectralNorm norm;
    private final Parameter weight;
    private final Parameter bias;

    private SnConv2d(Builder b) {
        outChannels = b.outChannels;
        kernel = b.kernel;
        padding = b.padding < 0 ? b.kernel / 2 : b.padding;
        norm = SpectralNorm.builder().mode(b.mode).bound(b.bound).powerIterations(b.powerIterations)
                .inputSize(b.normHeight, b.normWidth).padding(padding, padding).seed(b.seed).build();
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

    /** Current σ̂ of the raw kernel. */
    public double sigma() {
        return norm.sigma();
    }

    /** Power iteration to convergence on the current kernel (no gradients), returns σ̂. */
    public double estimate(int iterations) {
        return norm.estimate(weight.getArray(), iterations);
    }

    public Parameter weight() {
        return weight;
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        long in = inputShapes[0].get(1);
        weight.setShape(new Shape(outChannels, in, kernel, kernel));
        if (bias != null) bias.setShape(new Shape(outChannels));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        long grow = 2L * padding - kernel + 1;
        return new Shape[] {new Shape(s.get(0), outChannels, s.get(2) + grow, s.get(3) + grow)};
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray y;
        try (NDScope ignored = new NDScope()) {
            // the store may hand out (and cache) a device copy: it is not ours to close
            NDArray w = ps.getValue(weight, x.getDevice(), training);
            NDArray b = bias == null ? null : ps.getValue(bias, x.getDevice(), training);
            NDScope.unregister(w);
            if (b != null) NDScope.unregister(b);
            y = Conv2d.conv2d(x, norm.normalize(w, training), b, new Shape(1, 1),
                    new Shape(padding, padding), new Shape(1, 1), 1).singletonOrThrow();
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
        private int outChannels = -1;
        private int kernel = 3;
        private int padding = -1;
        private boolean bias = true;
        private SpectralNorm.Mode mode = SpectralNorm.Mode.OPERATOR;
        private double bound = 1.0;
        private int powerIterations = 1;
        private int normHeight = 32;
        private int normWidth = 32;
        private long seed = 0x5eedL;
        private Initializer initializer =
                new XavierInitializer(XavierInitializer.RandomType.GAUSSIAN, XavierInitializer.FactorType.IN, 2); // He

        private Builder() {}

        public Builder outChannels(int n) {
            outChannels = n;
            return this;
        }

        /** Square kernel size (default 3); padding defaults to kernel/2 ("same" for odd kernels). */
        public Builder kernel(int k) {
            kernel = k;
            return this;
        }

        public Builder padding(int p) {
            padding = p;
            return this;
        }

        public Builder bias(boolean b) {
            bias = b;
            return this;
        }

        public Builder mode(SpectralNorm.Mode m) {
            mode = m;
            return this;
        }

        /** Target bound c (default 1). */
        public Builder bound(double c) {
            bound = c;
            return this;
        }

        public Builder powerIterations(int n) {
            powerIterations = n;
            return this;
        }

        /** OPERATOR mode: the patch size the norm is measured on (default 32×32). */
        public Builder normSize(int h, int w) {
            normHeight = h;
            normWidth = w;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /** Kernel initialiser (default He: Gaussian, fan-in, magnitude 2; Xavier: {@code new XavierInitializer()}). */
        public Builder initializer(Initializer init) {
            initializer = init;
            return this;
        }

        public SnConv2d build() {
            if (outChannels < 1) throw new IllegalArgumentException("outChannels must be set");
            if (kernel < 1) throw new IllegalArgumentException("kernel must be positive");
            return new SnConv2d(this);
        }
    }
}
