package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.equilibria.compute.Convolutions;
import io.equilibria.nn.SeededHe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.equilibria.models.ArchitectureFields.fields;
import static io.equilibria.models.ArchitectureFields.number;

/**
 * A small multi-scale residual U-Net denoiser in the manner of DRUNet (Zhang et al. 2021), sized for CPUs:
 * {@code D(x, σ) = x − R([x, σ·1])}, where R has L levels of widths c₀ … c_{L−1}, each level {@code blocks}
 * residual blocks (h + conv(ReLU(conv(h)))) on the way down and again on the way up, 2×2 stride-2 convolutions to
 * go down, 2×2 stride-2 transposed convolutions to come up, and skip connections by addition. The coarse levels give
 * a receptive field of ~100 px at a fraction of a full-resolution network's cost.
 *
 * <p><b>Bias-free.</b> No convolution has a bias (Mohan et al. 2020): with ReLU the network is then positively
 * homogeneous, D(αx, ασ) = α·D(x, σ) for α > 0, so it does not care about the intensity scale of the data, only
 * about the noise relative to the signal; and bias-free denoisers generalise to noise levels outside training.
 *
 * <p><b>Sizes.</b> Inputs of any size: the image is extended to a multiple of 2^(L−1) by mirroring its last rows
 * and columns and cropped back. No Lipschitz constraint: a DEQ built on it must measure its own convergence (the
 * reconstructions report the residual and refuse a diverged iterate). Weights start from the config's seed.
 */
public final class UNet extends AbstractBlock implements TrainableDenoiser {
    private static final byte VERSION = 1;
    public static final String TYPE = "unet";

    /**
     * @param widths channels per level, finest first (≥ 2 levels)
     * @param blocks residual blocks per level on each path (the coarsest level has 2 × blocks, once)
     * @param seed   weight initialisation
     */
    public record Config(List<Integer> widths, int blocks, long seed) implements DenoiserConfig {
        public Config {
            widths = List.copyOf(widths);
            if (widths.size() < 2) throw new IllegalArgumentException("U-Net needs >= 2 levels, got " + widths);
            for (int w : widths) if (w < 1) throw new IllegalArgumentException("U-Net widths must be >= 1, got " + widths);
            if (blocks < 1) throw new IllegalArgumentException("U-Net blocks must be >= 1, got " + blocks);
        }

        /** Widths 16, 32, 64, 128 (finest first), one block per level and path: 81 kflop/pixel, 0.87 M parameters. */
        public static Config defaults() {
            return new Config(List.of(16, 32, 64, 128), 1, 0);
        }

        @Override public String type() { return TYPE; }
        @Override public Config withSeed(long s) { return new Config(widths, blocks, s); }
        @Override public UNet build() { return new UNet(this); }

        @Override
        public Map<String, Object> toMap() {
            return fields("type", TYPE, "widths", widths, "blocks", blocks, "kernel", 3, "bias", false,
                    "padding", "zero inside; input mirrored to a multiple of 2^(levels-1)", "inputChannels", 2, "seed", seed);
        }

        public static Config fromMap(Map<String, Object> m) {
            Config d = defaults();
            List<Integer> w = d.widths;
            if (m.get("widths") instanceof List<?> l) {
                w = new ArrayList<>();
                for (Object o : l) {
                    if (!(o instanceof Number n)) throw new IllegalArgumentException("U-Net widths must be numbers, card says " + l);
                    w.add(n.intValue());
                }
            }
            if (m.containsKey("bias") && !Boolean.FALSE.equals(m.get("bias")))
                throw new IllegalArgumentException("U-Net is bias-free, card says bias " + m.get("bias"));
            return new Config(w, (int) number(m, "blocks", d.blocks), (long) number(m, "seed", d.seed));
        }
    }

    private final Config config;
    private final int levels;
    private final Parameter head, tail;
    private final List<Parameter[]> down = new ArrayList<>(), up = new ArrayList<>(); // per level: resblock convs
    private final List<Parameter> pool = new ArrayList<>(), unpool = new ArrayList<>();
    private final List<Parameter> bottom = new ArrayList<>();
    private final List<Parameter> all = new ArrayList<>();

    public UNet(Config config) {
        super(VERSION);
        this.config = config;
        List<Integer> w = config.widths();
        levels = w.size();
        head = param("head", new Shape(w.get(0), 2, 3, 3));
        for (int l = 0; l < levels - 1; l++) {
            down.add(resblocks("down" + l, w.get(l)));
            pool.add(param("pool" + l, new Shape(w.get(l + 1), w.get(l), 2, 2)));
        }
        for (int b = 0; b < 2 * config.blocks(); b++) {
            int c = w.get(levels - 1);
            bottom.add(param("bottom" + b + "a", new Shape(c, c, 3, 3)));
            bottom.add(param("bottom" + b + "b", new Shape(c, c, 3, 3)));
        }
        for (int l = levels - 2; l >= 0; l--) {
            unpool.add(param("unpool" + l, new Shape(w.get(l + 1), w.get(l), 2, 2))); // transposed: (in, out, kh, kw)
            up.add(resblocks("up" + l, w.get(l)));
        }
        tail = param("tail", new Shape(1, w.get(0), 3, 3));
    }

    private Parameter[] resblocks(String name, int c) {
        Parameter[] p = new Parameter[2 * config.blocks()];
        for (int b = 0; b < config.blocks(); b++) {
            p[2 * b] = param(name + "r" + b + "a", new Shape(c, c, 3, 3));
            p[2 * b + 1] = param(name + "r" + b + "b", new Shape(c, c, 3, 3));
        }
        return p;
    }

    private Parameter param(String name, Shape shape) {
        long seed = config.seed() * 1_000_003L + 31L * all.size() + 17;
        Parameter p = addParameter(Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
                .optInitializer(new SeededHe(seed)).optShape(shape).build());
        all.add(p);
        return p;
    }

    @Override public Config config() { return config; }

    @Override
    public UNet allocate(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, 1, 32, 32), new Shape(1));
        return this;
    }

    /**
     * Residual convs start at a quarter of He's scale so that the blocks begin close to the identity, and the tail
     * at zero, so the untrained network is D(x) = x: training starts from a stable map instead of a random one.
     */
    @Override
    public void prepareForTraining() {
        io.equilibria.compute.Autograd.noGrad(() -> {
            for (Parameter[] ps : down) for (int i = 1; i < ps.length; i += 2) ps[i].getArray().muli(0.25);
            for (Parameter[] ps : up) for (int i = 1; i < ps.length; i += 2) ps[i].getArray().muli(0.25);
            for (int i = 1; i < bottom.size(); i += 2) bottom.get(i).getArray().muli(0.25);
            tail.getArray().muli(0); // D = x at the start; the tail's own gradient is not zero
            return null;
        });
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        DnCnn.checkInputs("U-Net", inputs);
        NDArray x = inputs.get(0), sigma = inputs.get(1);
        Shape s = x.getShape();
        NDArray out;
        try (NDScope ignored = new NDScope()) {
            long h = s.get(2), w = s.get(3);
            int m = 1 << (levels - 1);
            NDArray xp = mirrorTo(x, m);
            NDArray map = xp.zerosLike().add(DnCnn.sigmaColumn(x, sigma));
            NDArray f = conv(NDArrays.concat(new NDList(xp, map), 1), value(ps, head, x));
            List<NDArray> skips = new ArrayList<>();
            for (int l = 0; l < levels - 1; l++) {
                f = res(ps, f, down.get(l), x);
                skips.add(f);
                f = Convolutions.conv2d(f, value(ps, pool.get(l), x), new Shape(2, 2), new Shape(0, 0));
            }
            for (int i = 0; i < bottom.size(); i += 2) f = res(ps, f, new Parameter[] {bottom.get(i), bottom.get(i + 1)}, x);
            for (int k = 0; k < levels - 1; k++) {
                int l = levels - 2 - k;
                f = upsample(f, value(ps, unpool.get(k), x)).add(skips.get(l));
                f = res(ps, f, up.get(k), x);
            }
            NDArray r = conv(f, value(ps, tail, x));
            if (r.getShape().get(2) != h || r.getShape().get(3) != w) r = r.get(new NDIndex(":, :, 0:{}, 0:{}", h, w));
            out = x.sub(r);
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return new NDList(out);
    }

    private static NDArray value(ParameterStore ps, Parameter p, NDArray like) {
        return ps.getValue(p, like.getDevice(), false);
    }

    /**
     * The 2×2 stride-2 transposed convolution with weight (in, out, 2, 2), as a 1×1 convolution to out·4 channels
     * followed by a pixel shuffle (the PyTorch engine of DJL has no transposed convolution).
     */
    static NDArray upsample(NDArray f, NDArray w) {
        Shape ws = w.getShape(), fs = f.getShape();
        long in = ws.get(0), out = ws.get(1), n = fs.get(0), h = fs.get(2), wd = fs.get(3);
        NDArray k = w.transpose(1, 2, 3, 0).reshape(out * 4, in, 1, 1);
        NDArray y = Convolutions.conv2d(f, k, new Shape(1, 1), new Shape(0, 0)); // (N, out·4, H, W), channel = (o, ky, kx)
        return y.reshape(n, out, 2, 2, h, wd).transpose(0, 1, 4, 2, 5, 3).reshape(n, out, 2 * h, 2 * wd);
    }

    /**
     * Every convolution goes through {@link Convolutions}: oneDNN's input gradient of the tail (width → 1 channel) was
     * wrong, and with it every other layer's weight gradient (see there).
     */
    private static NDArray conv(NDArray in, NDArray w) {
        return Convolutions.conv2d(in, w, new Shape(1, 1), new Shape(1, 1));
    }

    private NDArray res(ParameterStore ps, NDArray f, Parameter[] p, NDArray like) {
        for (int i = 0; i < p.length; i += 2) {
            NDArray t = Activation.relu(conv(f, value(ps, p[i], like)));
            f = f.add(conv(t, value(ps, p[i + 1], like)));
        }
        return f;
    }

    /** Extends H and W to multiples of {@code m} by mirroring the last rows/columns (edge not repeated). */
    static NDArray mirrorTo(NDArray x, int m) {
        long h = x.getShape().get(2), w = x.getShape().get(3);
        long ph = (m - h % m) % m, pw = (m - w % m) % m;
        NDArray y = x;
        if (ph > 0) y = NDArrays.concat(new NDList(y, mirror(y, 2, h, ph)), 2);
        if (pw > 0) y = NDArrays.concat(new NDList(y, mirror(y, 3, w, pw)), 3);
        return y;
    }

    private static NDArray mirror(NDArray y, int axis, long n, long p) {
        if (p < n) {
            String idx = axis == 2 ? ":, :, {}:{}" : ":, :, :, {}:{}";
            return y.get(new NDIndex(idx, n - 1 - p, n - 1)).flip(axis);
        }
        // tiny images: repeat the last row/column
        String idx = axis == 2 ? ":, :, {}:{}" : ":, :, :, {}:{}";
        NDArray last = y.get(new NDIndex(idx, n - 1, n));
        NDList l = new NDList();
        for (long i = 0; i < p; i++) l.add(last);
        return NDArrays.concat(l, axis);
    }

    @Override
    public NDArray denoise(NDArray x, NDArray sigma) {
        return forward(new ParameterStore(x.getManager(), false), new NDList(x, sigma), false).singletonOrThrow();
    }

    /**
     * An upper bound of the receptive radius in full-resolution pixels, rounded up to a multiple of 2^(L−1) so that
     * tiles cut at that halo keep the pooling grid aligned (and thus equal the whole-image call).
     */
    @Override
    public int receptiveRadius() {
        int r = 1, scale = 1; // head
        for (int l = 0; l < levels - 1; l++) {
            r += 2 * config.blocks() * scale; // 3x3 convs: radius 1 at this scale
            r += scale;                        // 2x2 stride 2
            scale *= 2;
        }
        r += 4 * config.blocks() * scale;
        for (int l = levels - 2; l >= 0; l--) {
            r += scale;                        // transposed 2x2
            scale /= 2;
            r += 2 * config.blocks() * scale;
        }
        r += 1; // tail
        int m = 1 << (levels - 1);
        return (r + m - 1) / m * m;
    }

    @Override
    public int tileAlignment() {
        return 1 << (levels - 1);
    }

    @Override
    public String describe() {
        return "U-Net (bias-free, residual blocks) widths " + config.widths() + ", " + config.blocks()
                + " block(s) per level, input [x, sigma map], " + parameterCount() + " parameters";
    }

    @Override
    public long parameterCount() {
        long n = 0;
        for (Parameter p : all) n += p.getShape().size();
        return n;
    }

    @Override
    public double flopsPerPixel() {
        List<Integer> w = config.widths();
        double f = 2 * 9 * 2 * w.get(0) + 2 * 9 * w.get(0); // head, tail
        double area = 1;
        for (int l = 0; l < levels - 1; l++) {
            double c = w.get(l), n = w.get(l + 1);
            f += 2 * (2 * 2 * config.blocks()) * 9 * c * c * area; // down and up resblocks
            f += 2 * 2 * (4 * c * n) * area / 4;                    // pool and unpool
            area /= 4;
        }
        double c = w.get(levels - 1);
        f += 2 * 4 * config.blocks() * 9 * c * c * area;
        return f;
    }

    /** Parameter name → expected shape, for checking loaded files. */
    public Map<String, Shape> expectedParameterShapes() {
        Map<String, Shape> m = new LinkedHashMap<>();
        for (Parameter p : all) m.put(p.getName(), p.getShape());
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "UNet%s", config.widths());
    }

    /** How {@link io.equilibria.models.ModelStore} builds this block from a card (declared in META-INF/services). */
    public static final class ArchitectureFactory extends io.equilibria.models.Architectures.Entry<UNet> {
        public ArchitectureFactory() {
            super(UNet.class, h -> new UNet(Config.fromMap(h)), UNet::allocate, Denoiser::probe);
        }
    }
}
