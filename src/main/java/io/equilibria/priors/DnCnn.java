package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.nn.SeededHe;
import io.equilibria.nn.SnConv2d;
import io.equilibria.nn.SpectralNorm;

import java.util.LinkedHashMap;
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
public final class DnCnn extends SpectralResidualCnn<SnConv2d> {
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

    public DnCnn(Config config) {
        super(VERSION, config.depth(), config.width(), config.bound(), 9, i -> SnConv2d.builder()
                .outChannels(i == config.depth() - 1 ? 1 : config.width()).kernel(3)
                .mode(SpectralNorm.Mode.OPERATOR).bound(config.bound()).powerIterations(config.powerIterations())
                .normSize(config.normSize(), config.normSize()).seed(layerSeed(config.seed(), i) ^ 0x5eedL)
                .initializer(new SeededHe(layerSeed(config.seed(), i))).build());
        this.config = config;
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

    /** Initialises the parameters on {@code manager} for inputs of (N, 1, H, W) and (N). */
    public DnCnn initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, 1, 32, 32), new Shape(1));
        return this;
    }

    @Override
    protected Shape firstLayerInput(Shape x) {
        return new Shape(x.get(0), 2, x.get(2), x.get(3));
    }

    @Override
    protected void checkInputs(NDList inputs) {
        checkInputs("DnCNN", inputs);
    }

    /** What every 2D denoiser block takes: (x (N, 1, H, W), σ). */
    static void checkInputs(String name, NDList inputs) {
        if (inputs.size() != 2) throw new IllegalArgumentException(name + " takes (x, sigma), got " + inputs.size() + " inputs");
        Shape s = inputs.get(0).getShape();
        if (s.dimension() != 4 || s.get(1) != 1) throw new IllegalArgumentException(name + " input must be (N, 1, H, W), got " + s);
    }

    /** The residual R(x) = x − D(x), the network's own output. */
    public NDArray residual(NDArray x, NDArray sigma) {
        NDArray d = denoise(x, sigma);
        NDArray r = x.sub(d);
        d.close();
        return r;
    }

    /** Bound on the Lipschitz constant of x ↦ D(x): 1 + c^depth. */
    public double lipschitzBound() {
        return 1 + residualLipschitzBound();
    }

    @Override
    public String describe() {
        return "DnCNN depth " + config.depth() + ", width " + config.width() + ", 3x3 zero-padded convs, OPERATOR spectral "
                + "norm <= " + config.bound() + " each (residual Lipschitz <= " + fmt(residualLipschitzBound()) + "), "
                + "input [x, sigma map], " + parameterCount() + " parameters";
    }

    /** Expected parameter shapes by name (as {@link #getParameters()} names them), for checking loaded files. */
    public Map<String, Shape> expectedParameterShapes() {
        Map<String, Shape> m = new LinkedHashMap<>();
        long in = 2;
        for (int i = 0; i < config.depth(); i++) {
            long out = i == config.depth() - 1 ? 1 : config.width();
            String prefix = String.format("%02d", i + 1) + "conv" + (i + 1) + "_";
            m.put(prefix + "weight", new Shape(out, in, 3, 3));
            m.put(prefix + "bias", new Shape(out));
            in = out;
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
