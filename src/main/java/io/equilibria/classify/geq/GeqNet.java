package io.equilibria.classify.geq;

import io.equilibria.models.ArchitectureFields;

import io.equilibria.compute.Tensors;
import io.equilibria.compute.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.equilibria.compute.Autograd;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.SolverSpec;
import io.equilibria.solvers.Solution;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.equilibria.models.ArchitectureFields.number;

/**
 * GEQ, a Gaussian-kernel equilibrium classifier, and (with {@link Kernel#LINEAR}) its γ → 0 counterpart, the
 * linear-kernel layer of an optimisation-induced equilibrium model (OptEq).
 *
 * <p><b>Derivation (ours; the GEQ paper's full text was not available, only its stated construction).</b> OptEq's
 * equilibrium is the minimiser of a hidden problem whose features come from a linear kernel between the input and
 * the hidden state; GEQ replaces that kernel by a Gaussian one per patch. With σ = prox_f (here ReLU, f the indicator
 * of z ≥ 0), patches x_p of the (normalised) image, a dictionary W (d × h, shared by all patches) and a bias b, take
 * <pre>
 *   min_z  Σ_p [ f(z_p) + ½‖z_p‖² − bᵀz_p − (1/2γ) exp(−γ‖x_p − W z_p‖²) ].
 * </pre>
 * ∇_{z_p} of the last term is −exp(−γ‖r_p‖²) Wᵀr_p with r_p = x_p − W z_p, so the optimality condition
 * 0 ∈ ∂f(z_p) + z_p − b + ∇ gives the GEQ layer
 * <pre>
 *   z_p = σ( exp(−γ‖x_p − W z_p‖²) · Wᵀ(x_p − W z_p) + b ).
 * </pre>
 * As γ → 0, −(1/2γ) exp(−γ‖r‖²) = −1/(2γ) + ½‖x‖² − ⟨x, Wz⟩ + ½‖Wz‖² + O(γ): the linear kernel ⟨x, Wz⟩ plus a
 * quadratic, whose layer is z_p = σ(Wᵀ(x_p − W z_p) + b) — {@link Kernel#LINEAR}. For the linear kernel the hidden
 * problem is 1-strongly convex, so its equilibrium is unique; for the Gaussian kernel it is as long as
 * the Hessian κ(WᵀW − 2γWᵀr rᵀW) + I of the smooth part stays positive, which holds for small γ.
 *
 * <p><b>γ.</b> Either fixed, or the paper's rule γ = factor / M per image, M the smallest ‖x_p − W z_p‖² over the
 * image's patches (floored at {@code distanceFloor}; a constant in the gradient), measured either at z = 0 — so γ
 * depends on the image only — or at every iterate ({@link GammaRule}).
 *
 * <p><b>Solver.</b> The layer is the fixed point of forward–backward splitting on the hidden problem,
 * z ← ReLU(z − α(z − b − κ Wᵀr)) (same fixed points for every α &gt; 0, since prox of the indicator is ReLU for any
 * step), with α = {@code alphaScale}/L, L = 1 + c‖W‖² the smooth part's Lipschitz bound (c = 1 linear, 1 + 2/e
 * Gaussian, since 2γ‖r‖²e^{−γ‖r‖²} ≤ 2/e), solved by the {@link DeqLayer} of the model's {@link SolverSpec} (by
 * default Anderson). <b>Weight normalisation:</b> W = V diag(g/‖v_j‖).
 * <b>Backward:</b> by default the phantom gradient (Geng et al. 2021) of k damped steps z ← (1−λ)z + λT(z) from the
 * detached equilibrium ({@code phantom:k,λ} of {@link io.equilibria.deq.GradientMode}, from the config's phantom
 * fields), instead of solving the implicit-function adjoint.
 *
 * <p><b>Multi-scale and readout.</b> One branch per patch size p (stride max(1, p/2), its own W, g, b); each branch's
 * hidden map is average-pooled to a grid × grid map, the branches' pooled features are averaged, and a dense layer
 * gives the logits. Input: one channel, pixels in [0, 1], normalised by (x − mean)/std inside the model.
 */
public final class GeqNet extends AbstractBlock {
    private static final byte VERSION = 1;

    public enum Kernel { GAUSSIAN, LINEAR }

    /**
     * Where M of γ = factor/M is measured: {@link #INPUT}, min_p ‖x_p‖² (‖x_p − W z_p‖² at the solver's start z = 0,
     * so γ is a function of the image alone and the equilibrium is well defined), or {@link #ITERATE}, min_p
     * ‖x_p − W z_p‖² at every iterate (the literal rule; γ then moves with z: without the spectral bound our training
     * runs' forward solves grew to the 200-iteration cap, with it they take about 8 iterations).
     */
    public enum GammaRule { INPUT, ITERATE }

    /**
     * The architecture, with the card fields of the solve ({@code tolerance}, {@code maxIterations}) and of the phantom
     * gradient ({@code phantomSteps}, {@code phantomDamping}) that {@link #defaultSolver} turns into the model's
     * {@link SolverSpec} when a card gives none apart.
     */
    public record Config(Kernel kernel, int height, int width, int[] patches, int hidden, int grid, int classes,
                         double gammaFactor, GammaRule gammaRule, double fixedGamma, double distanceFloor, double spectralBound, double mean, double std,
                         double alphaScale, double tolerance, int maxIterations, int phantomSteps, double phantomDamping, long seed) {
        public Config {
            if (patches.length == 0) throw new IllegalArgumentException("at least one patch size");
            for (int p : patches) if (p < 1 || p > Math.min(height, width)) throw new IllegalArgumentException("patch size " + p + " does not fit the image");
            if (hidden < 1 || grid < 1 || classes < 2) throw new IllegalArgumentException("hidden, grid must be >= 1 and classes >= 2");
            if (!(gammaFactor > 0) || !(fixedGamma >= 0) || !(distanceFloor > 0) || !(std > 0)) throw new IllegalArgumentException("bad gamma or normalisation settings");
            if (!(spectralBound >= 0) || Double.isInfinite(spectralBound)) throw new IllegalArgumentException("the spectral bound must be >= 0 (0: none)");
            if (!(alphaScale > 0 && alphaScale < 2)) throw new IllegalArgumentException("alpha scale must be in (0, 2)");
            if (phantomSteps < 1 || !(phantomDamping > 0 && phantomDamping <= 1)) throw new IllegalArgumentException("phantom steps >= 1, damping in (0, 1]");
            patches = patches.clone();
        }

        public int inputDim() { return height * width; }

        public int stride(int patch) { return Math.max(1, patch / 2); }

        /** Patch positions along one axis of a branch. */
        public int positions(int size, int patch) { return (size - patch) / stride(patch) + 1; }

        public Config withGamma(double fixed) {
            return new Config(kernel, height, width, patches, hidden, grid, classes, gammaFactor, gammaRule, fixed, distanceFloor, spectralBound, mean, std,
                    alphaScale, tolerance, maxIterations, phantomSteps, phantomDamping, seed);
        }

        public String describeGamma() {
            if (kernel == Kernel.LINEAR) return "none (linear kernel, the gamma -> 0 limit)";
            if (fixedGamma > 0) return "fixed " + fixedGamma;
            return gammaFactor + (gammaRule == GammaRule.INPUT ? " / min_p ||x_p||^2 per image (the distance at z = 0; floor " : " / min_p ||x_p - W z_p||^2 at every iterate (floor ")
                    + distanceFloor + ")";
        }

        public Map<String, Object> toMap() {
            return ArchitectureFields.fields(
                    "kernel", kernel.name(),
                    "inputShape", List.of(1, height, width),
                    "patches", Arrays.stream(patches).boxed().toList(),
                    "hidden", hidden,
                    "grid", grid,
                    "classes", classes,
                    "gammaFactor", gammaFactor,
                    "gammaRule", gammaRule.name(),
                    "fixedGamma", fixedGamma,
                    "distanceFloor", distanceFloor,
                    "spectralBound", spectralBound,
                    "mean", mean,
                    "std", std,
                    "alphaScale", alphaScale,
                    "tolerance", tolerance,
                    "maxIterations", maxIterations,
                    "phantomSteps", phantomSteps,
                    "phantomDamping", phantomDamping,
                    "seed", seed);
        }

        public static Config fromMap(Map<String, Object> m) {
            if (!(m.get("inputShape") instanceof List<?> l) || l.size() != 3 || ((Number) l.get(0)).intValue() != 1) {
                throw new IllegalArgumentException("inputShape must be [1, H, W]");
            }
            if (!(m.get("patches") instanceof List<?> ps)) throw new IllegalArgumentException("patches must be a list");
            return new Config(Kernel.valueOf(String.valueOf(m.get("kernel"))), ((Number) l.get(1)).intValue(), ((Number) l.get(2)).intValue(),
                    ps.stream().mapToInt(o -> ((Number) o).intValue()).toArray(), (int) number(m, "hidden"), (int) number(m, "grid"),
                    (int) number(m, "classes"), number(m, "gammaFactor"), GammaRule.valueOf(String.valueOf(m.getOrDefault("gammaRule", "INPUT"))), number(m, "fixedGamma"), number(m, "distanceFloor"),
                    m.containsKey("spectralBound") ? number(m, "spectralBound") : 0, number(m, "mean"),
                    number(m, "std"), number(m, "alphaScale"), number(m, "tolerance"), (int) number(m, "maxIterations"), (int) number(m, "phantomSteps"),
                    number(m, "phantomDamping"), (long) number(m, "seed"));
        }
    }

    private final Config config;
    private final SolverSpec solver;
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    /** The model with {@link #defaultSolver}. */
    public GeqNet(Config config) {
        this(config, defaultSolver(config));
    }

    public GeqNet(Config config, SolverSpec solver) {
        super(VERSION);
        this.config = config;
        this.solver = solver;
        SplittableRandom root = new SplittableRandom(config.seed());
        int h = config.hidden();
        for (int k = 0; k < config.patches().length; k++) {
            int d = config.patches()[k] * config.patches()[k];
            params.put("V" + k, addParameter(io.equilibria.classify.EquilibriumNet.gaussianParameter("V" + k, new Shape(d, h), root.split(), Math.sqrt(1.0 / d))));
            params.put("g" + k, addParameter(constant("g" + k, new Shape(h), 1f)));
            params.put("b" + k, addParameter(constant("b" + k, new Shape(h), 0f)));
        }
        int features = h * config.grid() * config.grid();
        params.put("G", addParameter(io.equilibria.classify.EquilibriumNet.gaussianParameter("G", new Shape(config.classes(), features), root.split(), Math.sqrt(1.0 / features))));
        params.put("by", addParameter(constant("by", new Shape(config.classes()), 0f)));
    }

    private static Parameter constant(String name, Shape shape, float value) {
        return Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optShape(shape)
                .optInitializer((manager, s, type) -> manager.full(s, value, type)).build();
    }

    public Config config() { return config; }

    /** How the equilibrium is solved and differentiated. */
    public SolverSpec solver() { return solver; }

    /**
     * The spec GEQ had before specs: Anderson (m = 5, λ = 1e-4) to the config's relative tolerance and cap, and the
     * phantom gradient of the config's {@code phantomSteps} damped steps with {@code phantomDamping}.
     */
    public static SolverSpec defaultSolver(Config config) {
        return new SolverSpec(SolverSpec.ANDERSON, config.maxIterations(), config.tolerance(),
                "phantom:" + config.phantomSteps() + "," + config.phantomDamping(), 100, 1e-6);
    }

    public NDArray parameter(String name) {
        Parameter p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name + " in a GEQ model");
        return p.getArray();
    }

    public long parameterCount() {
        long n = 0;
        for (Parameter p : params.values()) n += p.getArray().getShape().size();
        return n;
    }

    public GeqNet initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, config.inputDim()));
        return this;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.classes())};
    }

    /** One branch's fixed arrays: dictionary W (d × h), its transpose, the FB step, the patch-extraction kernel, the pooling matrix. */
    private record Branch(int patch, int positions, NDArray w, NDArray wt, double alpha, NDArray step, NDArray keep, NDArray unfold, NDArray pool) {}

    /**
     * The model's maps on arrays held by {@code manager} (W built from V, g inside a scope and moved there, so the
     * result is recorded when a gradient collector is active and nothing attaches to the parameters' manager).
     * Every state is flat: (B, Σ_k P_k·h), branch k's block being its (B, P_k, h) map.
     */
    public final class Operators {
        private final List<Branch> branches = new ArrayList<>();
        private final NDArray g;
        private final NDManager manager;

        private Operators(NDManager manager) {
            this.manager = manager;
            int h = config.hidden();
            try (NDScope ignored = new NDScope()) {
                for (int k = 0; k < config.patches().length; k++) {
                    int p = config.patches()[k], d = p * p;
                    NDArray v = parameter("V" + k), gain = parameter("g" + k);
                    NDArray w = v.mul(gain.div(v.square().sum(new int[] {0}, true).add(1e-12f).sqrt()));
                    if (config.spectralBound() > 0) {
                        // σ = uᵀWv with the leading singular pair found on the host: its gradient is u vᵀ, as in spectral normalisation
                        double[][] uv = leadingSingularPair(w.toFloatArray(), d, h);
                        NDArray u = Tensors.owned(manager.create(toFloats(uv[0]), new Shape(1, d))), vv = Tensors.owned(manager.create(toFloats(uv[1]), new Shape(h, 1)));
                        NDArray bound = Tensors.owned(manager.create(new float[] {(float) config.spectralBound()}, new Shape(1, 1)));
                        // Arrays made from Java data share its buffer, and the backward pass reads u, v and the bound: they must
                        // outlive it, so they live on the caller's manager, not in this scope (a Java scalar operand such as
                        // mul(2f) would be such an array too, freed here and read after free by the backward pass)
                        for (NDArray a : new NDArray[] {u, vv, bound}) {
                            NDScope.unregister(a);
                            a.attach(manager);
                        }
                        w = w.mul(bound).div(u.matMul(w).matMul(vv));
                    }
                    NDArray wt = w.transpose();
                    double norm2 = spectralNormSquared(w.toFloatArray(), d, h);
                    double c = config.kernel() == Kernel.LINEAR ? 1 : 1 + 2 / Math.E;
                    double alpha = config.alphaScale() / (1 + c * norm2);
                    NDArray unfold = Tensors.owned(manager.create(oneHot(p), new Shape(d, 1, p, p)));
                    int ny = config.positions(config.height(), p), nx = config.positions(config.width(), p);
                    NDArray pool = Tensors.owned(manager.create(poolMatrix(ny, nx, config.grid()), new Shape((long) ny * nx, (long) config.grid() * config.grid())));
                    NDArray step = Scalars.constant(manager, alpha, DataType.FLOAT32), keep = Scalars.constant(manager, 1 - alpha, DataType.FLOAT32);
                    for (NDArray a : new NDArray[] {w, wt, step, keep, unfold, pool}) {
                        NDScope.unregister(a);
                        a.attach(manager);
                    }
                    branches.add(new Branch(p, ny * nx, w, wt, alpha, step, keep, unfold, pool));
                }
                NDArray gg = parameter("G").transpose();
                NDScope.unregister(gg);
                gg.attach(manager);
                g = gg;
            }
        }

        /** The forward–backward steps α of the branches. */
        public double[] alphas() { return branches.stream().mapToDouble(Branch::alpha).toArray(); }

        /** Normalised patches of a batch of images (B, H·W) or (B, 1, H, W) in [0, 1]: one (B, P_k, d_k) array per branch. */
        public NDList patches(NDArray images) {
            long b = images.getShape().get(0);
            NDArray x = images.reshape(b, 1, config.height(), config.width()).sub((float) config.mean()).div((float) config.std());
            NDList out = new NDList();
            for (Branch br : branches) {
                int s = config.stride(br.patch());
                NDArray u = Conv2d.conv2d(x, br.unfold(), null, new Shape(s, s), new Shape(0, 0), new Shape(1, 1), 1).singletonOrThrow();
                out.add(u.reshape(b, (long) br.patch() * br.patch(), br.positions()).transpose(0, 2, 1));
            }
            return out;
        }

        /** Zero state for a batch of {@code b} on {@code m}. */
        public NDArray zeros(NDManager m, long b) {
            return m.zeros(new Shape(b, stateSize()), DataType.FLOAT32);
        }

        public long stateSize() {
            long n = 0;
            for (Branch br : branches) n += (long) br.positions() * config.hidden();
            return n;
        }

        /** One forward–backward step T(z) (the solver's map; its fixed points are GEQ's equilibria). */
        public NDArray fb(NDArray z, NDList xs) {
            return apply(z, xs, true);
        }

        /** The GEQ layer itself, z ↦ σ(κ Wᵀ(x − Wz) + b) (the undamped map of the equation). */
        public NDArray layer(NDArray z, NDList xs) {
            return apply(z, xs, false);
        }

        /** The flat state (B, Σ_k P_k·h) as one (B, P_k, h) map per branch. */
        private NDList branchMaps(NDArray z) {
            long b = z.getShape().get(0), at = 0;
            NDList maps = new NDList();
            for (Branch br : branches) {
                long n = (long) br.positions() * config.hidden();
                maps.add(z.get(":, " + at + ":" + (at + n)).reshape(b, br.positions(), config.hidden()));
                at += n;
            }
            return maps;
        }

        private NDArray apply(NDArray z, NDList xs, boolean damped) {
            long b = z.getShape().get(0);
            NDList maps = branchMaps(z), parts = new NDList();
            for (int k = 0; k < branches.size(); k++) {
                Branch br = branches.get(k);
                NDArray zk = maps.get(k);
                NDArray r = xs.get(k).sub(zk.matMul(br.wt()));
                NDArray drive = r.matMul(br.w());
                if (config.kernel() == Kernel.GAUSSIAN) drive = drive.mul(kappa(r, xs.get(k)));
                NDArray bias = parameter("b" + k);
                NDArray pre = damped ? zk.mul(br.keep()).add(drive.add(bias).mul(br.step())) : drive.add(bias);
                parts.add(ai.djl.nn.Activation.relu(pre).reshape(b, -1));
            }
            return parts.size() == 1 ? parts.singletonOrThrow() : NDArrays.concat(parts, 1);
        }

        /** Per branch, the kernel weight exp(−γ‖x_p − W z_p‖²) of every patch at state z, (B, P, 1) (ones for the linear kernel). */
        public NDList kernelWeights(NDArray z, NDList xs) {
            NDList maps = branchMaps(z), out = new NDList();
            for (int k = 0; k < branches.size(); k++) {
                NDArray r = xs.get(k).sub(maps.get(k).matMul(branches.get(k).wt()));
                out.add(config.kernel() == Kernel.GAUSSIAN ? kappa(r, xs.get(k)) : r.getManager().ones(new Shape(r.getShape().get(0), r.getShape().get(1), 1)));
            }
            return out;
        }

        /** exp(−γ‖r_p‖²) per patch, (B, P, 1), for residuals r and the branch's patches x; no gradient through γ. */
        public NDArray kappa(NDArray r, NDArray x) {
            NDArray r2 = r.square().sum(new int[] {2}, true);
            if (config.fixedGamma() > 0) return Scalars.times(r2, -config.fixedGamma()).exp();
            NDArray d2 = config.gammaRule() == GammaRule.INPUT ? x.square().sum(new int[] {2}, true) : r2.stopGradient();
            NDArray gamma = d2.min(new int[] {1}, true).maximum((float) config.distanceFloor()).pow(-1).mul((float) config.gammaFactor());
            return r2.mul(gamma).neg().exp();
        }

        /** Logits of equilibrium states: pooled per branch, averaged over branches, dense readout. */
        public NDArray logits(NDArray z) {
            long b = z.getShape().get(0);
            NDList maps = branchMaps(z);
            NDArray sum = null;
            for (int k = 0; k < branches.size(); k++) {
                NDArray pooled = maps.get(k).transpose(0, 2, 1).matMul(branches.get(k).pool()).reshape(b, -1);
                sum = sum == null ? pooled : sum.add(pooled);
            }
            NDArray mean = branches.size() == 1 ? sum : Scalars.times(sum, 1.0 / branches.size());
            return mean.matMul(g).add(parameter("by"));
        }

        /** The spec's solver on the FB map from zeros (or {@code z0}) to {@code tol}; no graph. */
        public Solution solve(NDList xs, NDArray z0, double tol, int maxIterations) {
            // the start (and so every solver array derived from it) lives with the batch, not with these operators
            NDArray x = xs.get(0);
            return solver.withForward(tol, maxIterations).layer(cell(xs)).forward(x, z0, new Shape(x.getShape().get(0), stateSize())).forward();
        }

        /**
         * The model's DEQ layer on a batch's patches {@code xs}: its cell is the FB map T(z) on these operators (recorded
         * when they were built under a gradient collector); pass {@code xs.get(0)} as the layer's input x, which the
         * cell does not read (it reads every branch's patches).
         */
        public DeqLayer layer(NDList xs) {
            return solver.layer(cell(xs));
        }

        private io.equilibria.deq.DeqCell cell(NDList xs) {
            return (z, ignored) -> fb(z, xs);
        }
    }

    public Operators operators(NDManager manager) {
        return new Operators(manager);
    }



    /** ‖W‖₂² of a d × h matrix given row-major, from the d × d Gram matrix in float64. */
    static double spectralNormSquared(float[] w, int d, int h) {
        return Math.pow(leadingSingularPair(w, d, h)[2][0], 2);
    }

    /** {u (d), v (h), {σ}}: the leading singular vectors and value of a d × h row-major matrix (float64 SVD). */
    static double[][] leadingSingularPair(float[] w, int d, int h) {
        double[][] a = new double[d][h];
        for (int i = 0; i < d; i++) for (int t = 0; t < h; t++) a[i][t] = w[i * h + t];
        org.apache.commons.math3.linear.SingularValueDecomposition svd =
                new org.apache.commons.math3.linear.SingularValueDecomposition(new Array2DRowRealMatrix(a, false));
        return new double[][] {svd.getU().getColumn(0), svd.getV().getColumn(0), {svd.getSingularValues()[0]}};
    }

    private static float[] toFloats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    /** Kernel (p², 1, p, p) whose output channel u·p + v picks pixel (u, v) of each patch. */
    private static float[] oneHot(int p) {
        float[] k = new float[p * p * p * p];
        for (int j = 0; j < p * p; j++) k[j * p * p + j] = 1;
        return k;
    }

    /** Adaptive average pooling of an ny × nx map to grid × grid as a (ny·nx) × grid² matrix (bins as PyTorch's). */
    static float[] poolMatrix(int ny, int nx, int grid) {
        float[] m = new float[ny * nx * grid * grid];
        for (int gy = 0; gy < grid; gy++) {
            int y0 = gy * ny / grid, y1 = ((gy + 1) * ny + grid - 1) / grid;
            for (int gx = 0; gx < grid; gx++) {
                int x0 = gx * nx / grid, x1 = ((gx + 1) * nx + grid - 1) / grid;
                float wgt = 1f / ((y1 - y0) * (x1 - x0));
                for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) m[(y * nx + x) * grid * grid + gy * grid + gx] = wgt;
            }
        }
        return m;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> p) {
        NDArray x = inputs.singletonOrThrow();
        NDManager m = x.getManager();
        return Autograd.noGrad(() -> {
            Operators ops = operators(m);
            NDList xs = ops.patches(x.toType(DataType.FLOAT32, false));
            Solution s = ops.solve(xs, null, solver.tolerance(), solver.maxIterations());
            return new NDList(ops.logits(s.z()));
        });
    }

    /** How {@link io.equilibria.models.ModelStore} builds this block from a card (declared in META-INF/services). */
    public static final class ArchitectureFactory extends io.equilibria.models.Architectures.Entry<GeqNet> {
        public ArchitectureFactory() {
            super(GeqNet.class, h -> {
                Config c = Config.fromMap(h);
                return new GeqNet(c, SolverSpec.fromCard(h, defaultSolver(c)));
            }, GeqNet::initialize, null,
                    "io.equilibria.geq.GeqNet"); // the type in cards written before the package move
        }
    }
}
