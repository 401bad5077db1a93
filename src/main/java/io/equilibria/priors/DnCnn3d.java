package io.equilibria.priors;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.nn.SeededHe;
import io.equilibria.nn.SnConv3d;
import io.equilibria.nn.SpectralNorm;

import java.util.Map;

import static io.equilibria.models.ArchitectureFields.fields;
import static io.equilibria.models.ArchitectureFields.number;

/**
 * The volume counterpart of {@link DnCnn}: a residual denoiser of z-stacks, {@code D(x, σ) = x − R([x, σ·1])}, where
 * R is {@code depth} spectrally normalised 3×3×3 convolutions ({@link SnConv3d}; 2 → width → … → width → 1 channels,
 * biases, ReLU between them, "same" zero padding) and the second input channel is the constant noise map. Input and
 * output are (N, 1, Z, Y, X); it is {@link #volumetric}, so the DEQ map applies it to a volume state directly instead
 * of through {@link OrthogonalDenoiser}'s planes, and it refuses images.
 *
 * <p><b>Cost.</b> The default 8 × 16 network costs the same 43 kMAC per voxel as the 8 × 16 2D DnCNN on the xy, xz
 * and yz planes (27 = 3 × 9 taps per layer). Measured side by side on a 1×1×80×136×136 volume (one thread, the volume
 * runs' allocator settings) both took 2.3 s, so it is not faster per call; it sees a 17³ cube of the volume instead
 * of three 17² planes through each voxel.
 *
 * <p><b>Lipschitz bound.</b> As {@link DnCnn}: each convolution's operator norm (measured by power iteration on a
 * {@code normSize}³ patch, see {@link SpectralNorm}) is kept ≤ {@code bound} c, so the residual is c^depth-Lipschitz
 * for a fixed σ. A cubic patch cut in three axes falls further below the whole-space norm than a square one of the
 * same side (SpectralNormTest measures it).
 *
 * <p><b>State.</b> As {@link DnCnn}: power vectors move only in training forwards; inference leaves the network alone.
 */
public final class DnCnn3d extends SpectralResidualCnn<SnConv3d> {
    private static final byte VERSION = 1;
    /** The architecture's name on cards. */
    public static final String TYPE = "dncnn3d";

    /**
     * @param depth           convolution layers (≥ 2)
     * @param width           channels of the hidden layers
     * @param bound           spectral bound c per convolution
     * @param normSize        side of the cubic patch the operator norms are measured on
     * @param powerIterations power steps per training forward
     * @param seed            weight and power-vector initialisation
     */
    public record Config(int depth, int width, double bound, int normSize, int powerIterations, long seed) implements DenoiserConfig {
        public Config {
            if (depth < 2) throw new IllegalArgumentException("3D DnCNN depth must be >= 2, got " + depth);
            if (width < 1) throw new IllegalArgumentException("3D DnCNN width must be >= 1, got " + width);
            if (!(bound > 0) || !Double.isFinite(bound)) throw new IllegalArgumentException("spectral bound must be > 0");
            if (normSize < 3) throw new IllegalArgumentException("normSize must be >= 3");
            if (powerIterations < 0) throw new IllegalArgumentException("powerIterations must be >= 0");
        }

        /**
         * Depth 8, width 16: 43 kMAC per voxel, the cost of the 8 × 16 2D DnCNN on a volume's three plane families,
         * and a receptive field of 17³ voxels; spectral bound 1.25 per convolution, as the shipped DEQ priors
         * ({@code dncnn-b125*}); norms on 16³ patches (the power vectors then take 2 × 256 kB per layer in the file),
         * one power step per training forward, seed 0.
         */
        public static Config defaults() {
            return new Config(8, 16, 1.25, 16, 1, 0);
        }

        public Config withDepth(int d) { return new Config(d, width, bound, normSize, powerIterations, seed); }
        public Config withWidth(int w) { return new Config(depth, w, bound, normSize, powerIterations, seed); }
        public Config withBound(double c) { return new Config(depth, width, c, normSize, powerIterations, seed); }
        public Config withNormSize(int n) { return new Config(depth, width, bound, n, powerIterations, seed); }
        @Override public Config withSeed(long s) { return new Config(depth, width, bound, normSize, powerIterations, s); }
        @Override public String type() { return TYPE; }
        @Override public boolean volumetric() { return true; }
        @Override public DnCnn3d build() { return new DnCnn3d(this); }

        @Override
        public Map<String, Object> toMap() {
            return fields("type", TYPE, "dimensions", 3, "depth", depth, "width", width, "kernel", "3x3x3", "spectralBound", bound,
                    "spectralNormMode", SpectralNorm.Mode.OPERATOR.name(), "normSize", normSize + "x" + normSize + "x" + normSize,
                    "powerIterations", powerIterations, "padding", "zero", "inputChannels", 2, "input", "(N, 1, Z, Y, X) volumes",
                    "seed", seed);
        }

        /** Reads {@link #toMap()}'s output; missing keys take the defaults, wrong values are an error. */
        public static Config fromMap(Map<String, Object> m) {
            Config d = defaults();
            if (m.containsKey("kernel") && !"3x3x3".equals(m.get("kernel")))
                throw new IllegalArgumentException("3D DnCNN supports only 3x3x3 kernels, card says " + m.get("kernel"));
            if (m.containsKey("padding") && !"zero".equals(m.get("padding")))
                throw new IllegalArgumentException("3D DnCNN supports only zero padding, card says " + m.get("padding"));
            if (m.containsKey("spectralNormMode") && !SpectralNorm.Mode.OPERATOR.name().equals(m.get("spectralNormMode")))
                throw new IllegalArgumentException("3D DnCNN uses OPERATOR spectral norms, card says " + m.get("spectralNormMode"));
            int normSize = d.normSize;
            Object ns = m.get("normSize");
            if (ns instanceof Number n) normSize = n.intValue();
            else if (ns != null) {
                String[] p = ns.toString().split("x");
                try {
                    normSize = Integer.parseInt(p[0].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("architecture field 'normSize' must be NxNxN, got " + ns);
                }
                for (String q : p) if (!q.trim().equals(p[0].trim())) throw new IllegalArgumentException("3D DnCNN norms are measured on cubes, card says " + ns);
            }
            return new Config((int) number(m, "depth", d.depth), (int) number(m, "width", d.width),
                    number(m, "spectralBound", d.bound), normSize,
                    (int) number(m, "powerIterations", d.powerIterations), (long) number(m, "seed", d.seed));
        }
    }

    private final Config config;

    public DnCnn3d(Config config) {
        super(VERSION, config.depth(), config.width(), config.bound(), 27, i -> SnConv3d.builder()
                .outChannels(i == config.depth() - 1 ? 1 : config.width()).kernel(3)
                .mode(SpectralNorm.Mode.OPERATOR).bound(config.bound()).powerIterations(config.powerIterations())
                .normSize(config.normSize(), config.normSize(), config.normSize()).seed(layerSeed(config.seed(), i) ^ 0x3d5eedL)
                .initializer(new SeededHe(layerSeed(config.seed(), i))).build());
        this.config = config;
    }

    public DnCnn3d() {
        this(Config.defaults());
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public boolean volumetric() {
        return true;
    }

    @Override
    public DnCnn3d allocate(NDManager manager) {
        return initialize(manager);
    }

    /** Initialises the parameters on {@code manager} for inputs of (N, 1, Z, Y, X) and (N). */
    public DnCnn3d initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, 1, 8, 8, 8), new Shape(1));
        return this;
    }

    /**
     * The weights' shapes depend only on the channels, so any input shape initialises them (a DEQ model initialises its
     * denoiser with an image shape): the layers are set up for (N, 2, 8, 8, 8).
     */
    @Override
    protected Shape firstLayerInput(Shape x) {
        return new Shape(x.get(0), 2, 8, 8, 8);
    }

    @Override
    protected void checkInputs(NDList inputs) {
        if (inputs.size() != 2) throw new IllegalArgumentException("3D DnCNN takes (x, sigma), got " + inputs.size() + " inputs");
        Shape s = inputs.get(0).getShape();
        if (s.dimension() != 5 || s.get(1) != 1) {
            throw new IllegalArgumentException("the 3D DnCNN denoises volumes (N, 1, Z, Y, X), got " + s
                    + (s.dimension() == 4 ? ": a 3D CNN prior does not run on 2D images (use it on z-stacks, or a 2D denoiser)" : ""));
        }
    }

    @Override
    public String describe() {
        return "3D CNN (DnCNN) depth " + config.depth() + ", width " + config.width() + ", 3x3x3 zero-padded convs on volumes, "
                + "OPERATOR spectral norm <= " + config.bound() + " each (residual Lipschitz <= " + fmt(residualLipschitzBound())
                + "), input [x, sigma map], " + parameterCount() + " parameters";
    }

    /** How {@link io.equilibria.models.ModelStore} builds this block from a card (declared in META-INF/services). */
    public static final class ArchitectureFactory extends io.equilibria.models.Architectures.Entry<DnCnn3d> {
        public ArchitectureFactory() {
            super(DnCnn3d.class, h -> new DnCnn3d(Config.fromMap(h)), DnCnn3d::initialize, Denoiser::probe);
        }
    }
}
