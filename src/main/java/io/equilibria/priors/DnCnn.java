package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.equilibria.nn.SeededHe;
import io.equilibria.nn.SnConv2d;
import io.equilibria.nn.SpectralNorm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.equilibria.models.ArchitectureFields.fields;
import static io.equilibria.models.ArchitectureFields.number;

/**
 * A DnCNN-style residual denoiser (Zhang et al. 2017) whose every convolution is spectrally normalised, as in the
 * "properly trained" denoisers of Ryu et al. 2019: {@code D(x, σ) = x − R([x, σ·1])}, where R is {@code depth} 3×3
 * convolutions (2 → width → … → width → 1 channels) with biases and ReLU between them, and the second input channel
 * is the constant noise map (FFDNet-style, so one network serves all noise levels). No batch normalisation: it would
 * break the Lipschitz bound.
 *
 * <p><b>Lipschitz bound.</b> Each {@link SnConv2d} is normalised in {@link SpectralNorm.Mode#OPERATOR} mode to an
 * operator norm ≤ {@code bound} (c); ReLU is 1-Lipschitz and biases do not count, so for a fixed σ the residual map
 * x ↦ R([x, σ]) is c^depth-Lipschitz ({@link #residualLipschitzBound()}) and D is (1 + c^depth)-Lipschitz
 * ({@link #lipschitzBound()}), in the Euclidean norm of the image. That is what lets a DEQ iteration built on D be
 * shown (close to) contractive.
 *
 * <p><b>Padding.</b> Every convolution uses zero "same" padding, the padding the operator norm is measured with, so
 * the bound above holds exactly for the network as applied (up to power-iteration convergence and, for images larger
 * than the {@code normSize} patch the norm is measured on, the small finite-patch gap described in
 * {@link SpectralNorm}). Reflect or replicate padding of the input would duplicate border pixels and could raise
 * the constant by up to 2; the network instead learns the dark-border convention from its training patches.
 *
 * <p><b>State.</b> The power-iteration vectors advance only in training forwards; {@link #denoise} and every forward
 * with {@code training = false} leave them alone, so inside a fixed-point solve the normalised weights are fixed.
 * {@link #refineSpectralNorms} converges them (no gradient) before validation or saving. In DEQ training, run the
 * fixed-point iterations through {@link #denoise} (or training = false forwards) and use a training = true forward
 * only for the one call that is differentiated, or build the network with {@code powerIterations = 0} and refine
 * between optimiser steps. Weights are initialised
 * from the config's seed with Java's RNG (He normal), independently of the engine's global random state.
 */
public final class DnCnn extends AbstractBlock implements TrainableDenoiser {
    private static final byte VERSION = 1;

    /**
     * @param depth           convolution layers (≥ 2)
     * @param width           channels of the hidden layers
     * @param bound           spectral bound c per convolution
     * @param normSize        side of the patch the operator norms are measured on
     * @param powerIterations power steps per training forward
     * @param seed            weight and power-vector initialisation
     */
    public record Config(int depth, int width, double bound, int normSize, int powerIterations, long seed) implements DenoiserConfig {
        public Config {
            if (depth < 2) throw new IllegalArgumentException("DnCNN depth must be >= 2, got " + depth);
            if (width < 1) throw new IllegalArgumentException("DnCNN width must be >= 1, got " + width);
            if (!(bound > 0) || !Double.isFinite(bound)) throw new IllegalArgumentException("spectral bound must be > 0");
            if (normSize < 3) throw new IllegalArgumentException("normSize must be >= 3");
            if (powerIterations < 0) throw new IllegalArgumentException("powerIterations must be >= 0");
        }

        /**
         * Depth 8, width 32, bound 1, norms on 32×32 patches (0.5% below the whole-plane norm for a typical kernel,
         * see {@link SpectralNorm}; the power vectors saved with the parameters then take 2 MB rather than 8 MB at
         * 64×64), one power step per training forward, seed 0.
         */
        public static Config defaults() {
            return new Config(8, 32, 1.0, 32, 1, 0);
        }

        public Config withDepth(int d) { return new Config(d, width, bound, normSize, powerIterations, seed); }
        public Config withWidth(int w) { return new Config(depth, w, bound, normSize, powerIterations, seed); }
        public Config withBound(double c) { return new Config(depth, width, c, normSize, powerIterations, seed); }
        public Config withNormSize(int n) { return new Config(depth, width, bound, n, powerIterations, seed); }
        @Override public Config withSeed(long s) { return new Config(depth, width, bound, normSize, powerIterations, s); }
        @Override public String type() { return "dncnn"; }
        @Override public DnCnn build() { return new DnCnn(this); }

        /** The hyper-parameters as they go into a model card (no {@code type}: the first card format). */
        @Override
        public Map<String, Object> toMap() {
            return fields("depth", depth, "width", width, "kernel", 3, "spectralBound", bound,
                    "spectralNormMode", SpectralNorm.Mode.OPERATOR.name(), "normSize", normSize,
                    "powerIterations", powerIterations, "padding", "zero", "inputChannels", 2, "seed", seed);
        }

        /** Reads {@link #toMap()}'s output; missing keys take the defaults, wrong types are an error. */
        public static Config fromMap(Map<String, Object> m) {
            Config d = defaults();
            if (m.containsKey("kernel") && number(m, "kernel", 3) != 3)
                throw new IllegalArgumentException("DnCNN supports only 3x3 kernels, card says " + m.get("kernel"));
            if (m.containsKey("padding") && !"zero".equals(m.get("padding")))
                throw new IllegalArgumentException("DnCNN supports only zero padding, card says " + m.get("padding"));
            if (m.containsKey("spectralNormMode") && !SpectralNorm.Mode.OPERATOR.name().equals(m.get("spectralNormMode")))
                throw new IllegalArgumentException("DnCNN uses OPERATOR spectral norms, card says " + m.get("spectralNormMode"));
            return new Config((int) number(m, "depth", d.depth), (int) number(m, "width", d.width),
                    number(m, "spectralBound", d.bound), (int) number(m, "normSize", d.normSize),
                    (int) number(m, "powerIterations", d.powerIterations), (long) number(m, "seed", d.seed));
        }
    }

    private final Config config;
    private final List<SnConv2d> convs = new ArrayList<>();

    public DnCnn(Config config) {
        super(VERSION);
        this.config = config;
        for (int i = 0; i < config.depth(); i++) {
            boolean last = i == config.depth() - 1;
            long layerSeed = config.seed() * 1_000_003L + 31L * i + 17;
            SnConv2d conv = SnConv2d.builder().outChannels(last ? 1 : config.width()).kernel(3)
                    .mode(SpectralNorm.Mode.OPERATOR).bound(config.bound()).powerIterations(config.powerIterations())
                    .normSize(config.normSize(), config.normSize()).seed(layerSeed ^ 0x5eedL)
                    .initializer(new SeededHe(layerSeed)).build();
            convs.add(addChildBlock("conv" + (i + 1), conv));
        }
    }

    public DnCnn() {
        this(Config.defaults());
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public DnCnn allocate(NDManager manager) {
        return initialize(manager);
    }

    @Override
    public void prepareForTraining() {
        scaleKernelsToBound(100);
    }

    @Override
    public void refineStep() {
        refineSpectralNorms(1);
    }

    @Override
    public Map<String, Object> refine() {
        double[] s = refineSpectralNorms(100);
        List<Double> r = new ArrayList<>();
        for (double d : s) r.add(Math.round(d * 1e4) / 1e4);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("spectralNorms", r);
        return m;
    }

    public List<SnConv2d> convolutions() {
        return List.copyOf(convs);
    }

    /** Initialises the parameters on {@code manager} for inputs of (N, 1, H, W) and (N). */
    public DnCnn initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, 1, 32, 32), new Shape(1));
        return this;
    }

    /**
     * Rescales every kernel so that its operator norm equals the bound (after converging the power vectors): the
     * normalisation then starts inactive, and the optimiser's steps are taken relative to weights of the size the
     * forward actually uses, rather than to He-initialised kernels several times larger than the cap.
     */
    public void scaleKernelsToBound(int iterations) {
        for (SnConv2d c : convs) {
            double s = c.estimate(iterations);
            if (s > 0) {
                io.equilibria.compute.Autograd.noGrad(() -> c.weight().getArray().muli(config.bound() / s));
                c.estimate(iterations);
            }
        }
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        Shape in = new Shape(x.get(0), 2, x.get(2), x.get(3));
        for (SnConv2d c : convs) {
            c.initialize(manager, dataType, in);
            in = c.getOutputShapes(new Shape[] {in})[0];
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** inputs: x (N, 1, H, W) and σ (N), (N, 1), (N, 1, 1, 1) or a scalar; output: D(x) of x's shape. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        checkInputs("DnCNN", inputs);
        NDArray x = inputs.get(0), sigma = inputs.get(1);
        NDArray out;
        try (NDScope ignored = new NDScope()) {
            NDArray map = noiseMap(x, sigma);
            NDArray h = NDArrays.concat(new NDList(x, map), 1);
            for (int i = 0; i < convs.size(); i++) {
                h = convs.get(i).forward(ps, new NDList(h), training).singletonOrThrow();
                if (i < convs.size() - 1) h = Activation.relu(h);
            }
            out = x.sub(h);
            NDScope.unregister(out);
        }
        NDScope.register(out); // intermediates close with our scope (autograd keeps what it needs); the result is the caller's
        return new NDList(out);
    }

    /** What every denoiser block takes: (x (N, 1, H, W), σ). */
    static void checkInputs(String name, NDList inputs) {
        if (inputs.size() != 2) throw new IllegalArgumentException(name + " takes (x, sigma), got " + inputs.size() + " inputs");
        Shape s = inputs.get(0).getShape();
        if (s.dimension() != 4 || s.get(1) != 1) throw new IllegalArgumentException(name + " input must be (N, 1, H, W), got " + s);
    }

    private static NDArray noiseMap(NDArray x, NDArray sigma) {
        return x.zerosLike().add(sigmaColumn(x, sigma));
    }

    /** σ as an (N, 1, 1, 1) array of x's type, one value per sample (a single value serves every sample). */
    static NDArray sigmaColumn(NDArray x, NDArray sigma) {
        long n = x.getShape().get(0);
        long count = sigma.getShape().size();
        if (count != 1 && count != n) {
            throw new IllegalArgumentException("sigma must hold one value per sample (" + n + "), got shape " + sigma.getShape());
        }
        return sigma.toType(x.getDataType(), false).reshape(count, 1, 1, 1);
    }

    /** D(x, σ) for inference: a training=false forward, so nothing in the network moves. */
    @Override
    public NDArray denoise(NDArray x, NDArray sigma) {
        return forward(new ParameterStore(x.getManager(), false), new NDList(x, sigma), false).singletonOrThrow();
    }

    /** The residual R(x) = x − D(x), the network's own output. */
    public NDArray residual(NDArray x, NDArray sigma) {
        NDArray d = denoise(x, sigma);
        NDArray r = x.sub(d);
        d.close();
        return r;
    }

    /** Converges every layer's power vectors (up to {@code iterations} steps, no gradient); returns the σ̂ values. */
    public double[] refineSpectralNorms(int iterations) {
        double[] s = new double[convs.size()];
        for (int i = 0; i < s.length; i++) s[i] = convs.get(i).estimate(iterations);
        return s;
    }

    /** Pixels of input on each side that one output pixel depends on: one per 3×3 layer. */
    @Override
    public int receptiveRadius() {
        return config.depth();
    }

    @Override
    public double residualLipschitz() {
        return residualLipschitzBound();
    }

    /** Bound on the Lipschitz constant of x ↦ R(x) = x − D(x): c^depth. */
    public double residualLipschitzBound() {
        return Math.pow(config.bound(), config.depth());
    }

    /** Bound on the Lipschitz constant of x ↦ D(x): 1 + c^depth. */
    public double lipschitzBound() {
        return 1 + residualLipschitzBound();
    }

    /**
     * The residual's bound from the current estimates, Π min(c, σ̂ᵢ): at most {@link #residualLipschitzBound()},
     * lower when some layers are below their cap. NaN before the first forward.
     */
    public double estimatedResidualLipschitz() {
        double p = 1;
        for (SnConv2d c : convs) p *= Math.min(config.bound(), c.sigma());
        return p;
    }

    @Override
    public String describe() {
        return "DnCNN depth " + config.depth() + ", width " + config.width() + ", 3x3 zero-padded convs, OPERATOR spectral "
                + "norm <= " + config.bound() + " each (residual Lipschitz <= " + fmt(residualLipschitzBound()) + "), "
                + "input [x, sigma map], " + parameterCount() + " parameters";
    }

    private static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4g", v);
    }

    @Override
    public long parameterCount() {
        long w = config.width(), d = config.depth();
        long weights = 9 * (2 * w + (d - 2) * w * w + w);
        long biases = (d - 1) * w + 1;
        return weights + biases;
    }

    @Override
    public double flopsPerPixel() {
        double w = config.width(), d = config.depth();
        double macs = 9 * (2 * w + (d - 2) * w * w + w);
        return 2 * macs + (d - 1) * w * 2 + 1; // convs, bias + ReLU, the residual subtraction
    }

    /** Expected parameter shapes by name (as {@link #getParameters()} names them), for checking loaded files. */
    public Map<String, Shape> expectedParameterShapes() {
        Map<String, Shape> m = new LinkedHashMap<>();
        long in = 2;
        for (int i = 0; i < convs.size(); i++) {
            long out = i == convs.size() - 1 ? 1 : config.width();
            String prefix = String.format("%02d", i + 1) + "conv" + (i + 1) + "_";
            m.put(prefix + "weight", new Shape(out, in, 3, 3));
            m.put(prefix + "bias", new Shape(out));
            in = out;
        }
        return m;
    }

    /** Parameter name → shape of the current arrays. */
    public Map<String, Shape> parameterShapes() {
        Map<String, Shape> m = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : getParameters()) {
            m.put(p.getKey(), p.getValue().isInitialized() ? p.getValue().getArray().getShape() : null);
        }
        return m;
    }

    /** How {@link io.equilibria.models.ModelStore} builds this block from a card (declared in META-INF/services). */
    public static final class ArchitectureFactory extends io.equilibria.models.Architectures.Entry<DnCnn> {
        public ArchitectureFactory() {
            super(DnCnn.class, h -> new DnCnn(Config.fromMap(h)), DnCnn::initialize, Denoiser::probe);
        }
    }
}
