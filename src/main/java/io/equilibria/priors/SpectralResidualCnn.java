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
import io.equilibria.nn.SpectralNormLayer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The body shared by {@link DnCnn} (images) and {@link DnCnn3d} (volumes): a residual denoiser
 * {@code D(x, σ) = x − R([x, σ·1])} whose R is {@code depth} spectrally normalised convolutions
 * (2 → width → … → width → 1 channels, biases, ReLU between them) and whose second input channel is the constant
 * noise map. Only the convolution's dimension differs: the layers, the input check and the first layer's shape come
 * from the subclass; the forward, the spectral-norm upkeep, the Lipschitz bounds and the cost live here once.
 * Child blocks are named {@code conv1..convD}, so saved parameters are those of the networks before this class.
 *
 * @param <L> the layer type ({@code SnConv2d} or {@code SnConv3d})
 */
public abstract class SpectralResidualCnn<L extends SpectralNormLayer> extends AbstractBlock implements TrainableDenoiser {
    private final List<L> convs = new ArrayList<>();
    private final int depth, width, taps;
    private final double bound;

    /**
     * @param taps  kernel taps per channel pair (9 for 3×3, 27 for 3×3×3), for the cost and parameter counts
     * @param layer the i-th convolution (0-based), with {@code width} output channels except the last, which has 1
     */
    protected SpectralResidualCnn(byte version, int depth, int width, double bound, int taps, IntFunction<L> layer) {
        super(version);
        this.depth = depth;
        this.width = width;
        this.bound = bound;
        this.taps = taps;
        for (int i = 0; i < depth; i++) convs.add(addChildBlock("conv" + (i + 1), layer.apply(i)));
    }

    /** The layer seeds both networks derive from their config seed. */
    protected static long layerSeed(long seed, int i) {
        return seed * 1_000_003L + 31L * i + 17;
    }

    /** Fails with a message naming what this network takes, unless inputs are (x, σ) of the right rank. */
    protected abstract void checkInputs(NDList inputs);

    /** The first layer's input shape (2 channels: x and the noise map) for an input of shape {@code x}. */
    protected abstract Shape firstLayerInput(Shape x);

    public List<L> convolutions() {
        return List.copyOf(convs);
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

    /**
     * Rescales every kernel so that its operator norm equals the bound (after converging the power vectors): the
     * normalisation then starts inactive, and the optimiser's steps are taken relative to weights of the size the
     * forward actually uses, rather than to He-initialised kernels several times larger than the cap.
     */
    public void scaleKernelsToBound(int iterations) {
        for (L c : convs) {
            double s = c.estimate(iterations);
            if (s > 0) {
                io.equilibria.compute.Autograd.noGrad(() -> c.weight().getArray().muli(bound / s));
                c.estimate(iterations);
            }
        }
    }

    /** Converges every layer's power vectors (up to {@code iterations} steps, no gradient); returns the σ̂ values. */
    public double[] refineSpectralNorms(int iterations) {
        double[] s = new double[convs.size()];
        for (int i = 0; i < s.length; i++) s[i] = convs.get(i).estimate(iterations);
        return s;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = firstLayerInput(inputShapes[0]);
        for (L c : convs) {
            c.initialize(manager, dataType, in);
            in = c.getOutputShapes(new Shape[] {in})[0];
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** inputs: x and σ (one value per sample, or one for all); output: D(x) of x's shape. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        checkInputs(inputs);
        NDArray x = inputs.get(0), sigma = inputs.get(1);
        NDArray out;
        try (NDScope ignored = new NDScope()) {
            NDArray map = x.zerosLike().add(sigmaColumn(x, sigma));
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

    /** σ as an (N, 1, 1, …) array of x's type and rank, one value per sample (a single value serves every sample). */
    static NDArray sigmaColumn(NDArray x, NDArray sigma) {
        long n = x.getShape().get(0);
        long count = sigma.getShape().size();
        if (count != 1 && count != n) {
            throw new IllegalArgumentException("sigma must hold one value per sample (" + n + "), got shape " + sigma.getShape());
        }
        long[] shape = new long[x.getShape().dimension()];
        java.util.Arrays.fill(shape, 1);
        shape[0] = count;
        return sigma.toType(x.getDataType(), false).reshape(shape);
    }

    /** D(x, σ) for inference: a training=false forward, so nothing in the network moves. */
    @Override
    public NDArray denoise(NDArray x, NDArray sigma) {
        return forward(new ParameterStore(x.getManager(), false), new NDList(x, sigma), false).singletonOrThrow();
    }

    /** Pixels (voxels) of input on each side, in every axis, that one output depends on: one per 3-wide layer. */
    @Override
    public int receptiveRadius() {
        return depth;
    }

    @Override
    public double residualLipschitz() {
        return residualLipschitzBound();
    }

    /** Bound on the Lipschitz constant of x ↦ R(x) = x − D(x): c^depth. */
    public double residualLipschitzBound() {
        return Math.pow(bound, depth);
    }

    /**
     * The residual's bound from the current estimates, Π min(c, σ̂ᵢ): at most {@link #residualLipschitzBound()},
     * lower when some layers are below their cap. NaN before the first forward.
     */
    public double estimatedResidualLipschitz() {
        double p = 1;
        for (L c : convs) p *= Math.min(bound, c.sigma());
        return p;
    }

    /** Multiply-adds per pixel (voxel) of the convolutions: taps · (2w + (d − 2)w² + w). */
    public double macsPerPixel() {
        double w = width, d = depth;
        return taps * (2 * w + (d - 2) * w * w + w);
    }

    @Override
    public double flopsPerPixel() {
        return 2 * macsPerPixel() + (depth - 1) * (double) width * 2 + 1; // convs, bias + ReLU, the residual subtraction
    }

    @Override
    public long parameterCount() {
        long w = width, d = depth;
        long weights = taps * (2 * w + (d - 2) * w * w + w);
        long biases = (d - 1) * w + 1;
        return weights + biases;
    }

    /** Parameter name → shape of the current arrays. */
    public Map<String, Shape> parameterShapes() {
        Map<String, Shape> m = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : getParameters()) {
            m.put(p.getKey(), p.getValue().isInitialized() ? p.getValue().getArray().getShape() : null);
        }
        return m;
    }

    static String fmt(double v) {
        return String.format(java.util.Locale.ROOT, "%.4g", v);
    }
}
