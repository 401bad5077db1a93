package io.equilibria.classify;

import io.equilibria.models.ArchitectureFields;

import io.equilibria.compute.Tensors;
import io.equilibria.compute.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Convolutions;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.SolverSpec;
import io.equilibria.solvers.FixedPointSolver;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.SolverOptions;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static io.equilibria.models.ArchitectureFields.number;

/**
 * A convolutional equilibrium classifier: state z (B, C, H/2, W/2), input x (B, 1, H, W) in [0, 1],
 * z* = ReLU(W z* + U x + b), logits = G z* + b_y, with U a 3×3 stride-2 convolution (1 → C, padding 1), G a dense
 * readout, and W given only as an operator:
 * <ul>
 *   <li>{@link EquilibriumNet.Kind#LBEN} (direct parameterisation of Revay, Wang &amp; Manchester, with the scalar
 *       Λ = λI, λ = e^{−ψ}): (I − W)z = e^ψ[(1/2γ)Gᵀ(Gz) + (λ²/2γ)U(Uᵀz) + Vᵀ(Vz) + εz + Sz − Sᵀz] with V, S 3×3
 *       convolutions C → C (stride 1, zero padding 1) and U without its bias. The LBEN inequality's Schur complement
 *       λ((I−W) + (I−W)ᵀ) − GᵀG/γ − λ²UUᵀ/γ is then exactly 2(VᵀV + εI) ⪰ 2εI, so x ↦ logits is γ-Lipschitz in ℓ2
 *       (checked numerically on the stored weights by {@link #lmiMargin});</li>
 *   <li>{@link EquilibriumNet.Kind#MONDEQ}: (I − W)z = m z + Aᵀ(Az) + (Bz − Bᵀz)... written as
 *       m z + Aᵀ(Az) + Bᵀz − Bz (skew part), strongly monotone with constant m; no Lipschitz bound.</li>
 * </ul>
 * The adjoints Uᵀ, Vᵀ, Sᵀ, Aᵀ, Bᵀ are correlations with the flipped, channel-swapped kernels (after zero insertion for the stride-2 U; DJL's PyTorch engine does not implement conv-transpose).
 * Every convolution goes through {@link Convolutions#conv2d}, which pads channel counts that oneDNN gets wrong (the
 * single-output-channel Uᵀ's input gradient was wrong or NaN in training, and so training diverged).
 *
 * <p><b>Solver.</b> Forward–backward splitting z ← ReLU(z − α((I−W)z − Ux − b)) used as the fixed-point map of a
 * {@link DeqLayer} whose solver and gradient come from the model's {@link SolverSpec} (by default Anderson, m = 5,
 * to the config's tolerance and cap, and implicit differentiation). I − W is μ-strongly monotone with μ = e^ψ·ε (LBEN; ε plays MonDEQ's m) or μ = m
 * (MonDEQ), and L-Lipschitz with L estimated by power iteration (×1.05 safety); the FB map is a contraction for
 * α &lt; 2μ/L², and we take α = {@code alphaScale}·μ/L² ({@code alphaScale} = 1 by default: contraction factor
 * at most √(1 − μ²/L²), Anderson does the rest).
 */
public final class ConvEquilibriumNet extends AbstractBlock {
    private static final byte VERSION = 1;

    /**
     * @param kind       LBEN or MONDEQ
     * @param height     input height (even), {@code width} input width (even); one input channel
     * @param channels   state channels C
     * @param classes    classes
     * @param monotonicity MonDEQ's m (unused for LBEN)
     * @param gamma      LBEN's Lipschitz bound γ (unused for MonDEQ)
     * @param epsilon    LBEN's ε (unused for MonDEQ)
     * @param alphaScale FB step as a multiple of μ/L² (in (0, 2))
     * @param tolerance  relative FB residual at which the solve stops, for {@link #defaultSolver} (the card field of
     *                   old; the model solves with its {@link SolverSpec}, which a card may give apart)
     * @param maxIterations solver cap, likewise
     * @param seed       weight initialisation
     */
    public record Config(EquilibriumNet.Kind kind, int height, int width, int channels, int classes, double monotonicity,
                         double gamma, double epsilon, double alphaScale, double tolerance, int maxIterations, long seed) {
        public Config {
            if (height < 2 || width < 2 || height % 2 != 0 || width % 2 != 0 || channels < 1 || classes < 2)
                throw new IllegalArgumentException("bad conv equilibrium classifier dimensions (height and width must be even)");
            if (kind == EquilibriumNet.Kind.MONDEQ && !(monotonicity > 0)) throw new IllegalArgumentException("m must be > 0");
            if (kind == EquilibriumNet.Kind.LBEN && !(gamma > 0 && epsilon > 0)) throw new IllegalArgumentException("conv LBEN needs gamma > 0, epsilon > 0");
            if (!(alphaScale > 0 && alphaScale < 2) || !(tolerance > 0) || maxIterations < 1) throw new IllegalArgumentException("bad solver settings");
        }

        public int inputDim() { return height * width; }
        public int stateDim() { return channels * (height / 2) * (width / 2); }

        public Config withSolver(double tol, int maxIter) {
            return new Config(kind, height, width, channels, classes, monotonicity, gamma, epsilon, alphaScale, tol, maxIter, seed);
        }

        public Map<String, Object> toMap() {
            return ArchitectureFields.fields(
                    "kind", kind.name(),
                    "inputShape", java.util.List.of(1, height, width),
                    "channels", channels,
                    "classes", classes,
                    "monotonicity", monotonicity,
                    "gamma", gamma,
                    "epsilon", epsilon,
                    "solver", "FB+Anderson",
                    "alphaScale", alphaScale,
                    "tolerance", tolerance,
                    "maxIterations", maxIterations,
                    "seed", seed);
        }

        public static Config fromMap(Map<String, Object> m) {
            Object shape = m.get("inputShape");
            if (!(shape instanceof java.util.List<?> l) || l.size() != 3) throw new IllegalArgumentException("inputShape must be [1, H, W]");
            if (((Number) l.get(0)).intValue() != 1) throw new IllegalArgumentException("conv equilibrium classifiers take one input channel");
            return new Config(EquilibriumNet.Kind.valueOf(String.valueOf(m.get("kind"))), ((Number) l.get(1)).intValue(),
                    ((Number) l.get(2)).intValue(), (int) number(m, "channels"), (int) number(m, "classes"), number(m, "monotonicity"),
                    number(m, "gamma"), number(m, "epsilon"), number(m, "alphaScale"), number(m, "tolerance"), (int) number(m, "maxIterations"),
                    (long) number(m, "seed"));
        }
    }

    private final Config config;
    private final SolverSpec solver;
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    /** The model with {@link #defaultSolver}. */
    public ConvEquilibriumNet(Config config) {
        this(config, defaultSolver(config));
    }

    public ConvEquilibriumNet(Config config, SolverSpec solver) {
        super(VERSION);
        this.config = config;
        this.solver = solver;
        int c = config.channels(), n = config.stateDim(), k = config.classes();
        SplittableRandom root = new SplittableRandom(config.seed());
        double convStd = Math.sqrt(1.0 / (9 * c));
        if (config.kind() == EquilibriumNet.Kind.MONDEQ) {
            param("A", new Shape(c, c, 3, 3), root.split(), convStd * 0.5);
            param("B", new Shape(c, c, 3, 3), root.split(), convStd * 0.5);
        } else {
            param("V", new Shape(c, c, 3, 3), root.split(), convStd * 0.5);
            param("S", new Shape(c, c, 3, 3), root.split(), convStd * 0.2);
            param("psi", new Shape(1), root.split(), 0);
        }
        param("U", new Shape(c, 1, 3, 3), root.split(), 0.1); // small: λ²UUᵀ/2γ enters ‖I − W‖ and so the FB step
        param("b", new Shape(c), root.split(), 0);
        param("G", new Shape(k, n), root.split(), Math.sqrt(1.0 / n));
        param("by", new Shape(k), root.split(), 0);
    }

    private void param(String name, Shape shape, SplittableRandom random, double std) {
        params.put(name, addParameter(EquilibriumNet.gaussianParameter(name, shape, random, std)));
    }

    public Config config() { return config; }

    /** How the equilibrium is solved and differentiated. */
    public SolverSpec solver() { return solver; }

    /**
     * The spec every conv equilibrium classifier had before specs: Anderson (m = 5, λ = 1e-4) to the config's relative
     * tolerance and cap; implicit differentiation with Anderson to relative 1e-4, at most 30 iterations.
     */
    public static SolverSpec defaultSolver(Config config) {
        return new SolverSpec(SolverSpec.ANDERSON, config.maxIterations(), config.tolerance(), "ift", 30, 1e-4);
    }

    public NDArray parameter(String name) {
        Parameter p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name + " in a conv " + config.kind() + " model");
        return p.getArray();
    }

    public ConvEquilibriumNet initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, 1, config.height(), config.width()));
        return this;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.classes())};
    }

    /** Shape of the state for a batch of {@code b}. */
    public Shape stateShape(long b) {
        return new Shape(b, config.channels(), config.height() / 2, config.width() / 2);
    }

    private static final Shape S1 = new Shape(1, 1), S2 = new Shape(2, 2), P1 = new Shape(1, 1);

    /**
     * The linear maps of the model on given parameter arrays (the model's own, or float64 copies). Every method
     * returns an array on its first argument's manager when called inside an {@link NDScope} owned by the caller;
     * the arrays held here ({@code gt}, {@code ePsi}, ...) are created on the manager passed to {@link #operators}.
     */
    public final class Operators {
        private final NDArray u, ut, b, g, gt, by, v, s, a, bb, vt, st, at, bt, ePsi, lam2;
        private final double alpha;

        Operators(NDManager m, Map<String, NDArray> p, double alpha) {
            try (NDScope ignored = new NDScope()) {
                u = p.get("U");
                b = p.get("b").reshape(1, config.channels(), 1, 1);
                g = p.get("G");
                gt = g.transpose();
                by = p.get("by");
                v = p.get("V");
                s = p.get("S");
                a = p.get("A");
                bb = p.get("B");
                ut = flipT(u);
                vt = flipT(v);
                st = flipT(s);
                at = flipT(a);
                bt = flipT(bb);
                if (config.kind() == EquilibriumNet.Kind.LBEN) {
                    NDArray psi = p.get("psi");
                    ePsi = psi.exp();
                    lam2 = io.equilibria.compute.Scalars.times(psi, -2, m).exp(); // recorded: the constant on m, not a Java number
                } else {
                    ePsi = null;
                    lam2 = null;
                }
                for (NDArray x : new NDArray[] {b, gt, ePsi, lam2, ut, vt, st, at, bt}) {
                    if (x != null) {
                        NDScope.unregister(x);
                        x.attach(m);
                    }
                }
            }
            this.alpha = alpha;
        }

        private static NDArray flipT(NDArray k) {
            return k == null ? null : k.transpose(1, 0, 2, 3).flip(2, 3);
        }

        public double alpha() { return alpha; }

        /** U x (no bias): (B, 1, H, W) → (B, C, H/2, W/2). */
        public NDArray u(NDArray x) { return Convolutions.conv2d(x, u, S2, P1); }

        /** Uᵀ z: (B, C, H/2, W/2) → (B, 1, H, W). */
        public NDArray ut(NDArray z) {
            // the adjoint of a stride-2 convolution: insert zeros between the samples (odd positions), then correlate
            // with the flipped kernel, input and output channels swapped (DJL's PyTorch engine has no conv-transpose)
            long bs = z.getShape().get(0), c = z.getShape().get(1), h = z.getShape().get(2), w = z.getShape().get(3);
            NDArray a = z.expandDims(3);
            NDArray rows = a.concat(a.zerosLike(), 3);                   // (B, C, h, 2, w)
            NDArray b5 = rows.expandDims(5);
            NDArray up = b5.concat(b5.zerosLike(), 5).reshape(bs, c, 2 * h, 2 * w);
            return Convolutions.conv2d(up, ut, S1, P1); // C -> 1: see Convolutions for why not Conv2d directly
        }

        /** U x + b. */
        public NDArray inject(NDArray x) { return u(x).add(b); }

        public NDArray conv(NDArray z, NDArray k) { return Convolutions.conv2d(z, k, S1, P1); }

        /** The adjoint of {@link #conv}: correlation with the flipped, channel-swapped kernel (cached per kernel). */
        public NDArray convT(NDArray z, NDArray k) {
            NDArray kt = k == v ? vt : k == s ? st : k == a ? at : k == bb ? bt : null;
            if (kt == null) throw new IllegalArgumentException("not one of this model's kernels");
            return Convolutions.conv2d(z, kt, S1, P1);
        }

        /** G z (no bias): (B, C, h, w) → (B, classes). */
        public NDArray g(NDArray z) { return z.reshape(z.getShape().get(0), -1).matMul(gt); }

        /** Gᵀ y: (B, classes) → state shape. */
        public NDArray gt(NDArray y) { return y.matMul(g).reshape(stateShape(y.getShape().get(0))); }

        public NDArray logits(NDArray z) { return g(z).add(by); }

        /** The named parameter maps: "U", "V", "S", "A", "B", "G"; {@code adjoint} gives the transpose. */
        public NDArray apply(String which, NDArray z, boolean adjoint) {
            return switch (which) {
                case "U" -> adjoint ? ut(z) : u(z);
                case "G" -> adjoint ? gt(z) : g(z);
                case "V" -> adjoint ? convT(z, v) : conv(z, v);
                case "S" -> adjoint ? convT(z, s) : conv(z, s);
                case "A" -> adjoint ? convT(z, a) : conv(z, a);
                case "B" -> adjoint ? convT(z, bb) : conv(z, bb);
                default -> throw new IllegalArgumentException(which);
            };
        }

        /** (I − W) z, or (I − W)ᵀ z when {@code transpose}. */
        public NDArray iMinusW(NDArray z, boolean transpose) {
            if (config.kind() == EquilibriumNet.Kind.LBEN) {
                double c1 = 1 / (2 * config.gamma());
                NDArray r = Scalars.timesInPlace(gt(g(z)), c1);
                r.addi(Scalars.timesInPlace(u(ut(z)).mul(lam2), c1));
                r.addi(convT(conv(z, v), v));
                r.addi(Scalars.times(z, config.epsilon()));
                NDArray skew = conv(z, s).subi(convT(z, s));
                if (transpose) r.subi(skew); else r.addi(skew);
                return r.mul(ePsi);
            }
            NDArray r = Scalars.times(z, config.monotonicity()).addi(convT(conv(z, a), a));
            NDArray skew = convT(z, bb).subi(conv(z, bb));
            if (transpose) r.subi(skew); else r.addi(skew);
            return r;
        }

        /** One forward–backward step T(z) = ReLU(z − α((I−W)z − inj)). */
        public NDArray fb(NDArray z, NDArray injected) {
            return Activation.relu(z.sub(Scalars.timesInPlace(iMinusW(z, false).sub(injected), alpha)));
        }

        /** The Schur complement of γI in the LBEN inequality applied to z: λ((I−W)+(I−W)ᵀ)z − Gᵀ(Gz)/γ − λ²U(Uᵀz)/γ. */
        public NDArray schur(NDArray z) {
            double ig = 1 / config.gamma();
            NDArray sym = iMinusW(z, false).addi(iMinusW(z, true)).div(ePsi);
            return sym.subi(gt(g(z)).muli(ig)).subi(u(ut(z)).mul(lam2).muli(ig));
        }

        /** μ: strong monotonicity of I − W (e^ψ ε for an LBEN, m for a MonDEQ). */
        public double mu() {
            return config.kind() == EquilibriumNet.Kind.LBEN ? ePsi.getFloat() * config.epsilon() : config.monotonicity();
        }
    }

    private Map<String, NDArray> parameterArrays() {
        Map<String, NDArray> p = new LinkedHashMap<>();
        for (var e : params.entrySet()) p.put(e.getKey(), e.getValue().getArray());
        return p;
    }

    /** Operators on the model's parameters with the FB step α computed from them (power iteration, no gradient). */
    public Operators operators(NDManager manager) {
        Operators noStep = new Operators(manager, parameterArrays(), 0);
        double alpha = Autograd.noGrad(() -> stepFor(noStep, manager));
        return new Operators(manager, parameterArrays(), alpha);
    }

    /** Operators with a given α (e.g. one computed for the same weights before). */
    public Operators operators(NDManager manager, double alpha) {
        return new Operators(manager, parameterArrays(), alpha);
    }

    private float[] powerVector; // warm start of the power iteration for ‖I − W‖

    /** α = alphaScale · μ / L̂², L̂ = 1.05 × the power-iteration estimate of ‖I − W‖₂. */
    double stepFor(Operators ops, NDManager manager) {
        double mu = ops.mu();
        double l = 0;
        try (NDManager sm = manager.newSubManager()) {
            Shape sh = stateShape(1);
            NDArray z;
            int iters;
            if (powerVector == null) {
                SplittableRandom r = new SplittableRandom(config.seed() ^ 0x5eedL);
                float[] v = new float[(int) sh.size()];
                for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
                z = Tensors.owned(sm.create(v, sh));
                iters = 30;
            } else {
                z = Tensors.owned(sm.create(powerVector, sh));
                iters = 4;
            }
            z = z.div(z.norm());
            for (int i = 0; i < iters; i++) {
                try (NDScope ignored = new NDScope()) {
                    NDArray w = ops.iMinusW(ops.iMinusW(z, false), true); // (I−W)ᵀ(I−W) z
                    double n = w.norm().getFloat();
                    l = Math.sqrt(n);
                    NDArray next = w.div(n);
                    NDScope.unregister(next);
                    z = next;
                }
            }
            powerVector = z.toFloatArray();
        }
        double lHat = 1.05 * l;
        return config.alphaScale() * mu / (lHat * lHat);
    }

    /** Solves the equilibrium for a batch on the FB map with the spec's solver from {@code z0} (zeros when null); no gradient. */
    public Solution solve(Operators ops, NDArray injected, NDArray z0, double tol, int maxIterations) {
        return solver.withForward(tol, maxIterations).layer((z, inj) -> ops.fb(z, inj)).forward(injected, z0).forward();
    }

    /**
     * The model's DEQ layer for training: the cell T(z, x) = ReLU(z − α((I−W)z − Ux − b)) on the parameters' current
     * values (recorded when autograd is on; its arrays on {@code manager}) with a fixed α (the fixed point, and so the
     * gradient, does not depend on it), solved and differentiated as the spec says.
     */
    public DeqLayer layer(NDManager manager, double alpha) {
        return solver.layer((z, x) -> {
            Operators op = operators(manager, alpha);
            return op.fb(z, op.inject(x));
        });
    }

    /** Exactly {@code steps} plain FB steps from {@code z0}; no gradient. The result is on z0's manager. */
    public static NDArray fbSteps(Operators ops, NDArray injected, NDArray z0, int steps) {
        NDArray z = z0;
        for (int i = 0; i < steps; i++) {
            NDArray next;
            try (NDScope ignored = new NDScope()) {
                NDArray zz = z;
                next = Autograd.noGrad(() -> ops.fb(zz, injected));
                NDScope.unregister(next);
            }
            if (z != z0) z.close();
            z = next;
        }
        return z == z0 ? z0.duplicate() : z;
    }

    /**
     * The local Lipschitz constant of x ↦ logits at one image: the largest singular value of the Jacobian
     * J = G (I − D(I − α(I−W)))⁻¹ D α U (D the ReLU's derivative at the equilibrium's FB pre-activation), by
     * {@code powerIterations} steps of power iteration on JᵀJ; each product is two linear fixed-point solves (the spec's solver,
     * relative 1e-6) with the explicit adjoints. Must not exceed γ for an LBEN.
     */
    public double jacobianNorm(Operators ops, float[] image, int powerIterations) {
        int h = config.height(), w = config.width();
        try (NDManager m = parameter("U").getManager().newSubManager()) {
            return Autograd.noGrad(() -> {
                NDArray x = Tensors.owned(m.create(image, new Shape(1, 1, h, w)));
                NDArray inj = ops.inject(x);
                NDArray z = solve(ops, inj, null, 1e-6, 5000).z();
                NDArray d = z.sub(ops.iMinusW(z, false).sub(inj).muli(ops.alpha())).gt(0).toType(DataType.FLOAT32, false);
                double al = ops.alpha();
                SolverOptions o = solver.withForward(1e-6, 5000).forwardOptions();
                FixedPointSolver linear = solver.forwardSolver();
                SplittableRandom r = new SplittableRandom(7);
                float[] v0 = new float[h * w];
                for (int i = 0; i < v0.length; i++) v0[i] = (float) r.nextGaussian();
                NDArray v = Tensors.owned(m.create(v0, new Shape(1, 1, h, w)));
                v = v.div(v.norm());
                double sigma = 0;
                for (int it = 0; it < powerIterations; it++) {
                    // forward: dz = D(dz − α(I−W)dz) + α D U v
                    NDArray rhs = ops.u(v).mul(d).muli(al);
                    NDArray dz = linear.solve(q -> q.sub(ops.iMinusW(q, false).muli(al)).muli(d).addi(rhs), rhs, o).z();
                    NDArray jv = ops.g(dz);
                    // backward: gz = (I − α(I−W)ᵀ)(D gz) + Gᵀ jv; then Jᵀ jv = α Uᵀ D gz
                    NDArray gw = ops.gt(jv);
                    NDArray gz = linear.solve(q -> {
                        NDArray dq = q.mul(d);
                        return dq.sub(ops.iMinusW(dq, true).muli(al)).addi(gw);
                    }, gw, o).z();
                    NDArray jtjv = ops.ut(gz.mul(d)).muli(al);
                    double n = jtjv.norm().getFloat();
                    sigma = Math.sqrt(n);
                    if (!(n > 0)) return 0.0;
                    v = jtjv.div(n);
                }
                return sigma;
            });
        }
    }

    /**
     * The smallest eigenvalue of the LBEN inequality's Schur complement operator (≥ 0 certifies the Lipschitz bound γ;
     * 2(σ_min(V)² + ε) in exact arithmetic), by Lanczos with full reorthogonalisation ({@code krylov} steps, at most the
     * state dimension; exact when they are equal) on the stored float32 weights cast to float64. A Ritz value is an
     * upper estimate of λ_min that converges from above; with the default the gap to the true value is negligible
     * next to 2ε (tests compare with the known 2(VᵀV + εI) structure).
     */
    public double lmiMargin(int krylov) {
        if (config.kind() != EquilibriumNet.Kind.LBEN) throw new IllegalStateException("a conv MonDEQ has no LBEN inequality");
        int n = config.stateDim();
        int k = Math.min(krylov, n);
        try (NDManager m = parameter("U").getManager().newSubManager()) {
            return Autograd.noGrad(() -> {
                Map<String, NDArray> p = new LinkedHashMap<>();
                for (var e : parameterArrays().entrySet()) {
                    NDArray d = e.getValue().toType(DataType.FLOAT64, true);
                    d.attach(m);
                    p.put(e.getKey(), d);
                }
                Operators ops = new Operators(m, p, 0);
                Shape sh = stateShape(1);
                double[][] q = new double[k + 1][];
                double[] alphaT = new double[k], betaT = new double[k];
                SplittableRandom r = new SplittableRandom(11);
                double[] q0 = new double[n];
                for (int i = 0; i < n; i++) q0[i] = r.nextGaussian();
                scale(q0, 1 / norm(q0));
                q[0] = q0;
                int used = k;
                for (int j = 0; j < k; j++) {
                    double[] w;
                    try (NDManager sm = m.newSubManager()) {
                        w = ops.schur(Tensors.owned(sm.create(q[j], sh))).toDoubleArray();
                    }
                    alphaT[j] = dot(w, q[j]);
                    for (int rep = 0; rep < 2; rep++) {
                        for (int i = 0; i <= j; i++) {
                            double c = dot(w, q[i]);
                            for (int t = 0; t < n; t++) w[t] -= c * q[i][t];
                        }
                    }
                    double bn = norm(w);
                    betaT[j] = bn;
                    if (bn < 1e-12 || j == k - 1) {
                        used = j + 1;
                        break;
                    }
                    scale(w, 1 / bn);
                    q[j + 1] = w;
                }
                double[][] t = new double[used][used];
                for (int i = 0; i < used; i++) {
                    t[i][i] = alphaT[i];
                    if (i + 1 < used) t[i][i + 1] = t[i + 1][i] = betaT[i];
                }
                double min = Double.POSITIVE_INFINITY;
                for (double e : new EigenDecomposition(new Array2DRowRealMatrix(t, false)).getRealEigenvalues()) min = Math.min(min, e);
                return min;
            });
        }
    }

    /** {@link #lmiMargin(int)} with 120 Lanczos steps. */
    public double lmiMargin() { return lmiMargin(120); }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double norm(double[] a) { return Math.sqrt(dot(a, a)); }

    private static void scale(double[] a, double c) {
        for (int i = 0; i < a.length; i++) a[i] *= c;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> p) {
        NDArray x = inputs.singletonOrThrow();
        NDArray img = x.reshape(x.getShape().get(0), 1, config.height(), config.width()).toType(DataType.FLOAT32, false);
        NDManager m = x.getManager();
        return Autograd.noGrad(() -> {
            Operators ops = operators(m);
            NDArray inj = ops.inject(img);
            Solution s = solve(ops, inj, null, solver.tolerance(), solver.maxIterations());
            return new NDList(ops.logits(s.z()));
        });
    }

    /** How {@link io.equilibria.models.ModelStore} builds this block from a card (declared in META-INF/services). */
    public static final class ArchitectureFactory extends io.equilibria.models.Architectures.Entry<ConvEquilibriumNet> {
        public ArchitectureFactory() {
            super(ConvEquilibriumNet.class, h -> {
                Config c = Config.fromMap(h);
                return new ConvEquilibriumNet(c, SolverSpec.fromCard(h, defaultSolver(c)));
            }, ConvEquilibriumNet::initialize, null,
                    "io.equilibria.certify.deq.ConvEquilibriumNet"); // the type in cards written before the package move
        }
    }
}
