package io.equilibria.classify;

import io.equilibria.models.ArchitectureFields;

import io.equilibria.compute.Tensors;
import io.equilibria.compute.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Activation;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.equilibria.certify.lipschitz.Lben;
import io.equilibria.certify.lipschitz.MonDeq;
import io.equilibria.compute.Autograd;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.GradientMode;
import io.equilibria.deq.JacobianTranspose;
import io.equilibria.deq.Vjp;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static io.equilibria.models.ArchitectureFields.number;

/**
 * A fully connected equilibrium classifier, z* = ReLU(W z* + U x + b), logits = G z* + b_y, in one of two
 * parameterisations that make the equilibrium unique for every value of the free parameters:
 * <ul>
 *   <li>{@link Kind#MONDEQ} (Winston &amp; Kolter 2020): W = (1−m)I − AᵀA + B − Bᵀ, so I − W ⪰ mI;</li>
 *   <li>{@link Kind#LBEN} (Revay, Wang &amp; Manchester 2020, direct parameterisation, same formula as the float64
 *       {@link Lben#direct}): W = I − Ψ((1/2γ)GᵀG + (1/2γ)ΛUUᵀΛ + VᵀV + εI + S − Sᵀ), Ψ = diag(e^ψ), Λ = Ψ⁻¹,
 *       which makes x ↦ logits γ-Lipschitz in ℓ2 by construction.</li>
 * </ul>
 * Both are solved by the monotone splitting methods of the MonDEQ paper ({@link Method}): Peaceman–Rachford
 * (any α &gt; 0) or forward–backward (α below 2μ/L² in the Λ-metric, computed from the weights; see
 * {@link #forwardBackwardStep}). Inputs are flattened images in [0, 1] (no normalisation inside, so that σ, radii and
 * γ are all in pixel units). The block's forward maps (B, C, H, W) or (B, d) to (B, classes) logits with the
 * configured solver; {@link #operators} and {@link #solve} expose the pieces that training and serialized
 * randomized smoothing need (warm starts, a fixed number of steps).
 */
public final class EquilibriumNet extends AbstractBlock {
    private static final byte VERSION = 1;

    public enum Kind { MONDEQ, LBEN }

    /** Monotone operator splitting used to find the equilibrium. */
    public enum Method {
        /** Forward–backward: z ← ReLU(z − α((I−W)z − Ux − b)). */
        FB,
        /** Peaceman–Rachford: u½ = 2z − u; z½ = ((1+α)I − αW)⁻¹(u½ + α(Ux+b)); u = 2z½ − u½; z = ReLU(u). */
        PR;

        public static Method parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "fb", "forward-backward" -> FB;
                case "pr", "peaceman-rachford" -> PR;
                default -> throw new IllegalArgumentException("solver must be fb or pr, got '" + s + "'");
            };
        }
    }

    /**
     * @param kind        parameterisation
     * @param channels    input channels, with {@code height} × {@code width} the input shape (C, H, W)
     * @param hidden      size n of the equilibrium state
     * @param classes     number of classes
     * @param monotonicity MonDEQ's m (I − W ⪰ mI); unused for LBEN
     * @param gamma       LBEN's Lipschitz bound γ; unused for MonDEQ
     * @param epsilon     LBEN's ε (strictness of the inequality); unused for MonDEQ
     * @param method      default solver
     * @param alpha       Peaceman–Rachford step α
     * @param tolerance   stop when the largest relative change ‖z⁺ − z‖/‖z⁺‖ over the batch is below it
     * @param maxIterations solver iteration cap
     * @param seed        weight initialisation
     */
    public record Config(Kind kind, int channels, int height, int width, int hidden, int classes, double monotonicity,
                         double gamma, double epsilon, Method method, double alpha, double tolerance, int maxIterations,
                         long seed) {
        public Config {
            if (channels < 1 || height < 1 || width < 1 || hidden < 1 || classes < 2)
                throw new IllegalArgumentException("bad equilibrium classifier dimensions");
            if (kind == Kind.MONDEQ && !(monotonicity > 0 && monotonicity < 1)) throw new IllegalArgumentException("m must be in (0, 1)");
            if (kind == Kind.LBEN && !(gamma > 0 && epsilon >= 0)) throw new IllegalArgumentException("LBEN needs gamma > 0, epsilon >= 0");
            if (!(alpha > 0) || !(tolerance > 0) || maxIterations < 1) throw new IllegalArgumentException("bad solver settings");
        }

        public int inputDim() { return channels * height * width; }

        public Config withSolver(Method m, double tol, int maxIter) {
            return new Config(kind, channels, height, width, hidden, classes, monotonicity, gamma, epsilon, m, alpha, tol, maxIter, seed);
        }

        public Map<String, Object> toMap() {
            return ArchitectureFields.fields(
                    "kind", kind.name(),
                    "inputShape", java.util.List.of(channels, height, width),
                    "hidden", hidden,
                    "classes", classes,
                    "monotonicity", monotonicity, // MonDEQ only; kept for all so a card round-trips exactly
                    "gamma", gamma,               // LBEN only
                    "epsilon", epsilon,           // LBEN only
                    "solver", method.name(),
                    "alpha", alpha,
                    "tolerance", tolerance,
                    "maxIterations", maxIterations,
                    "seed", seed);
        }

        public static Config fromMap(Map<String, Object> m) {
            Object shape = m.get("inputShape");
            if (!(shape instanceof java.util.List<?> l) || l.size() != 3) throw new IllegalArgumentException("inputShape must be [C, H, W]");
            return new Config(Kind.valueOf(String.valueOf(m.get("kind"))), num(l.get(0)), num(l.get(1)), num(l.get(2)),
                    (int) number(m, "hidden"), (int) number(m, "classes"),
                    m.containsKey("monotonicity") ? number(m, "monotonicity") : 0.5,
                    m.containsKey("gamma") ? number(m, "gamma") : 1, m.containsKey("epsilon") ? number(m, "epsilon") : 0,
                    Method.valueOf(String.valueOf(m.getOrDefault("solver", "PR"))), number(m, "alpha"), number(m, "tolerance"),
                    (int) number(m, "maxIterations"), (long) number(m, "seed"));
        }

        private static int num(Object o) {
            if (o instanceof Number n) return n.intValue();
            throw new IllegalArgumentException("expected a number, got " + o);
        }
    }

    private final Config config;
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    public EquilibriumNet(Config config) {
        super(VERSION);
        this.config = config;
        int n = config.hidden(), d = config.inputDim(), k = config.classes();
        SplittableRandom root = new SplittableRandom(config.seed());
        if (config.kind() == Kind.MONDEQ) {
            param("A", new Shape(n, n), root.split(), Math.sqrt(1.0 / n) * 0.5);
            param("B", new Shape(n, n), root.split(), Math.sqrt(1.0 / n) * 0.5);
        } else {
            param("V", new Shape(n, n), root.split(), Math.sqrt(1.0 / n) * 0.5);
            param("S", new Shape(n, n), root.split(), Math.sqrt(1.0 / n) * 0.2);
            param("psi", new Shape(n), root.split(), 0);
        }
        param("U", new Shape(n, d), root.split(), Math.sqrt(2.0 / d));
        param("b", new Shape(n), root.split(), 0);
        param("G", new Shape(k, n), root.split(), Math.sqrt(1.0 / n));
        param("by", new Shape(k), root.split(), 0);
    }

    private void param(String name, Shape shape, SplittableRandom random, double std) {
        params.put(name, addParameter(gaussianParameter(name, shape, random, std)));
    }

    /** A weight initialised with N(0, std²) values from {@code random} (so the same seed gives the same model on any device). */
    public static Parameter gaussianParameter(String name, Shape shape, SplittableRandom random, double std) {
        return Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).optShape(shape)
                .optInitializer((manager, s, type) -> {
                    float[] v = new float[(int) s.size()];
                    for (int i = 0; i < v.length; i++) v[i] = (float) (std * random.nextGaussian());
                    return Tensors.owned(manager.create(v, s)).toType(type, false);
                }).build();
    }

    public Config config() { return config; }

    /** A free parameter by name (A, B or V, S, psi; U, b, G, by). */
    public NDArray parameter(String name) {
        Parameter p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name + " in a " + config.kind() + " model");
        return p.getArray();
    }

    public EquilibriumNet initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, config.inputDim()));
        return this;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.classes())};
    }

    /**
     * The model's matrices from its free parameters, computed with the NDArray operations (so recorded for
     * gradients when autograd is on). {@code prInverse} is ((1+α)I − αW)⁻¹ for Peaceman–Rachford (null unless asked).
     */
    public record Operators(NDArray w, NDArray wt, NDArray u, NDArray ut, NDArray b, NDArray g, NDArray gt, NDArray by,
                            NDArray prInverse, double alpha) {
        /** Ux + b for a batch (B, d): (B, n), on x's manager. */
        public NDArray inject(NDArray x) {
            return x.matMul(ut).addi(b);
        }

        /** G z + b_y for a batch (B, n): (B, classes), on z's manager. */
        public NDArray logits(NDArray z) {
            return z.matMul(gt).addi(by);
        }
    }

    /** W, U, b, G, b_y (and the PR inverse when {@code withInverse}) on the parameters' current values. */
    public Operators operators(NDManager manager, boolean withInverse) {
        int n = config.hidden();
        NDArray u = parameter("U"), g = parameter("G");
        // every result is created in a scope and the ones kept are moved to the caller's manager: an operation on a
        // parameter would otherwise attach its result to the parameters' manager, which lives as long as the model
        try (NDScope ignored = new NDScope()) {
            NDArray eye = manager.eye(n);
            NDArray w;
            if (config.kind() == Kind.MONDEQ) {
                NDArray a = parameter("A"), bs = parameter("B");
                w = eye.mul(1 - config.monotonicity()).sub(a.transpose().matMul(a)).add(bs).sub(bs.transpose());
            } else {
                NDArray v = parameter("V"), s = parameter("S"), psi = parameter("psi");
                NDArray lam = psi.neg().exp(); // Λ = Ψ⁻¹
                NDArray lu = u.mul(lam.reshape(n, 1));
                double inv2g = 1 / (2 * config.gamma());
                NDArray inner = Scalars.times(g.transpose().matMul(g), inv2g, manager).add(Scalars.times(lu.matMul(lu.transpose()), inv2g, manager))
                        .add(v.transpose().matMul(v)).add(eye.mul(config.epsilon())).add(s).sub(s.transpose());
                w = eye.sub(inner.mul(psi.exp().reshape(n, 1)));
            }
            NDArray inv = null;
            if (withInverse) {
                double al = config.alpha();
                inv = eye.mul(1 + al).sub(w.mul(al)).inverse();
            }
            NDArray wt = w.transpose(), ut = u.transpose(), gt = g.transpose();
            for (NDArray a : new NDArray[] {w, wt, ut, gt, inv}) {
                if (a != null) {
                    NDScope.unregister(a);
                    a.attach(manager);
                }
            }
            return new Operators(w, wt, u, ut, parameter("b"), g, gt, parameter("by"), inv, config.alpha());
        }
    }

    /**
     * Forward–backward step α = μ/L² (half the largest step that converges), with μ the strong monotonicity and L the
     * Lipschitz constant of z ↦ (I−W)z in the Λ-metric (Λ = I for MonDEQ): for K = Λ^{½}(I−W)Λ^{−½}, μ = λ_min((K+Kᵀ)/2)
     * and L = ‖K‖₂. Computed in float64 from the current weights.
     */
    public double forwardBackwardStep() {
        RealMatrix w = toReal(null, "W");
        int n = w.getRowDimension();
        double[] lam = lambda();
        RealMatrix k = MatrixUtils.createRealIdentityMatrix(n).subtract(w);
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) k.multiplyEntry(i, j, Math.sqrt(lam[i] / lam[j]));
        RealMatrix sym = k.add(k.transpose()).scalarMultiply(0.5);
        double mu = Double.POSITIVE_INFINITY;
        for (double e : new EigenDecomposition(sym).getRealEigenvalues()) mu = Math.min(mu, e);
        double l = new SingularValueDecomposition(k).getNorm();
        if (!(mu > 0)) throw new IllegalStateException("I - W is not strongly monotone (mu = " + mu + ")");
        return mu / (l * l);
    }

    private double[] lambda() {
        int n = config.hidden();
        double[] lam = new double[n];
        if (config.kind() == Kind.LBEN) {
            float[] psi = parameter("psi").toFloatArray();
            for (int i = 0; i < n; i++) lam[i] = Math.exp(-(double) psi[i]);
        } else {
            java.util.Arrays.fill(lam, 1);
        }
        return lam;
    }

    private RealMatrix toReal(NDManager unused, String which) {
        try (NDManager m = parameter("U").getManager().newSubManager()) {
            NDArray a = Autograd.noGrad(() -> switch (which) {
                case "W" -> operators(m, false).w();
                default -> parameter(which);
            });
            return matrix(a);
        }
    }

    private static RealMatrix matrix(NDArray a) {
        long[] s = a.getShape().getShape();
        double[] v = toDoubles(a);
        int r = (int) s[0], c = s.length > 1 ? (int) s[1] : 1;
        double[][] m = new double[r][c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) m[i][j] = v[i * c + j];
        return new Array2DRowRealMatrix(m, false);
    }

    private static double[] toDoubles(NDArray a) {
        float[] f = a.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /**
     * The trained network as a float64 {@link Lben} with its certificate Λ and bound γ: for an LBEN its own Λ and γ
     * (W computed in float64 from the float32 parameters, so the inequality is checked on the weights actually
     * used); for a MonDEQ the exact conversion {@link MonDeq#toLben()} with γ = ‖U‖‖G‖/m.
     */
    public Lben toLben() {
        RealMatrix u = toReal(null, "U"), g = toReal(null, "G");
        double[] b = toDoubles(parameter("b")), by = toDoubles(parameter("by"));
        if (config.kind() == Kind.MONDEQ) {
            return new MonDeq(toReal(null, "A"), toReal(null, "B"), config.monotonicity(), u, b, g, by).toLben();
        }
        RealMatrix v = toReal(null, "V"), s = toReal(null, "S");
        double[] psi = toDoubles(parameter("psi"));
        return Lben.direct(v, s, psi, u, b, g, by, config.epsilon(), config.gamma());
    }

    /** Result of {@link #solve}: the state to warm-start from next time, the equilibrium z, the steps taken and the last
     * relative change (NaN after a fixed number of steps). */
    public record Solution(NDArray state, NDArray z, int iterations, double change) {}

    /**
     * Runs the splitting solver on a batch. {@code injected} = Ux + b (B, n); {@code state0} the solver state to start
     * from (PR: u, FB: z; null = zeros). With {@code fixedSteps} &gt; 0 exactly that many steps are taken (serialized
     * smoothing); otherwise until the largest relative change over the batch is ≤ {@code tolerance}, or
     * {@code maxIterations}. Arrays are created on {@code injected}'s manager.
     */
    public static Solution solve(Operators ops, Method method, double fbStep, NDArray injected, NDArray state0,
                                 int fixedSteps, double tolerance, int maxIterations) {
        NDManager m = injected.getManager();
        boolean ownState = state0 == null;
        NDArray state = ownState ? m.zeros(injected.getShape(), injected.getDataType()) : state0;
        NDArray z = Activation.relu(state); // PR: z = ReLU(u); FB: z = ReLU(z) = z for a valid z
        NDArray prInj = method == Method.PR ? injected.mul(ops.alpha()) : null;
        int limit = fixedSteps > 0 ? fixedSteps : maxIterations;
        double change = Double.NaN;
        int it = 0;
        while (it < limit) {
            it++;
            NDArray nextState, nextZ;
            try (NDScope ignored = new NDScope()) {
                if (method == Method.PR) {
                    NDArray uHalf = z.mul(2).subi(state);
                    NDArray zHalf = uHalf.add(prInj).matMul(ops.prInverse().transpose());
                    nextState = zHalf.muli(2).subi(uHalf);
                    nextZ = Activation.relu(nextState);
                } else {
                    nextState = Activation.relu(z.mul(1 - fbStep).addi(z.matMul(ops.wt()).addi(injected).muli(fbStep)));
                    nextZ = nextState;
                }
                if (fixedSteps <= 0) { // a fixed number of steps (serialized smoothing) needs no convergence measure
                    NDArray diff = nextZ.sub(z).norm(new int[] {1});
                    NDArray norm = nextZ.norm(new int[] {1}).addi(1e-6f);
                    change = diff.divi(norm).max().getFloat();
                }
                NDScope.unregister(nextState, nextZ);
            }
            if (z != state) z.close();
            if (ownState) state.close();
            ownState = true;
            state = nextState;
            z = nextZ;
            if (fixedSteps <= 0 && !Double.isFinite(change)) {
                throw new IllegalStateException("equilibrium solver diverged");
            }
            if (fixedSteps <= 0 && change <= tolerance) break;
        }
        if (prInj != null) prInj.close();
        return new Solution(state, z, it, change);
    }

    /**
     * The implicit-differentiation adjoint g = (I − WᵀD)⁻¹ v for a batch (rows), with D = diag({@code activeMask}) the
     * ReLU's derivative at the equilibrium. Solved by Peaceman–Rachford on the monotone inclusion
     * 0 ∈ (I − Wᵀ)y − v + N_S(y), S = {y : y_i = 0 where D_i = 0} (our derivation, in the spirit of the MonDEQ paper's
     * backward pass): its solution satisfies (I − W_AAᵀ) y_A = v_A, and g = v + Wᵀy. I − Wᵀ is strongly monotone in the
     * Λ⁻¹-metric whenever I − W is in the Λ-metric, and the projection onto S in that diagonal metric is y ↦ Dy, so
     * the iteration converges for every α and reuses the forward pass's matrix ((1+α)I − αW)⁻¹ (transposed); one
     * iteration costs one (B×n)·(n×n) product, instead of a batched n×n inverse per sample.
     */
    public static NDArray adjoint(Operators ops, NDArray activeMask, NDArray v, double tolerance, int maxIterations) {
        NDManager m = v.getManager();
        NDArray av = v.mul(ops.alpha());
        NDArray u = v.zerosLike(), y = v.zerosLike();
        for (int it = 1; it <= maxIterations; it++) {
            NDArray nu, ny;
            double change;
            try (NDScope ignored = new NDScope()) {
                NDArray uHalf = y.mul(2).subi(u);
                NDArray yHalf = uHalf.add(av).matMul(ops.prInverse());
                nu = yHalf.muli(2).subi(uHalf);
                ny = nu.mul(activeMask);
                change = ny.sub(y).norm(new int[] {1}).divi(ny.norm(new int[] {1}).addi(1e-6f)).max().getFloat();
                NDScope.unregister(nu, ny);
            }
            u.close();
            y.close();
            u = nu;
            y = ny;
            if (change <= tolerance) break;
        }
        NDArray g = v.add(y.matMul(ops.w()));
        u.close();
        y.close();
        av.close();
        return g;
    }

    /**
     * The model's DEQ layer for training: the cell T(z, x) = ReLU(W z + U x + b) on the parameters' current values
     * (recorded when autograd is on; its arrays on {@code manager}), differentiated implicitly by {@link MonotoneAdjoint}
     * to the config's tolerance and cap. Its fixed point is found by the model's splitting ({@link #solve}: PR or FB
     * keep a state of their own, which the layer's solvers cannot), and handed to {@link DeqLayer#backward}.
     */
    public DeqLayer layer(NDManager manager) {
        Operators withInverse = Autograd.noGrad(() -> operators(manager, true));
        return new DeqLayer((z, x) -> {
            Operators ops = operators(manager, false);
            return Activation.relu(z.matMul(ops.wt()).add(ops.inject(x)));
        }, new MonotoneAdjoint(withInverse, config.tolerance(), config.maxIterations()));
    }

    /**
     * Implicit differentiation for {@link #layer}: g = (I − WᵀD)⁻¹v by the Peaceman–Rachford iteration of
     * {@link #adjoint} on {@code ops} (which must hold the PR inverse), D the ReLU's derivative at the equilibrium,
     * read off the layer's recorded T(z*) (positive exactly where its pre-activation is).
     */
    public record MonotoneAdjoint(Operators ops, double tolerance, int maxIterations) implements GradientMode {
        @Override public String describe() { return "ift(monotone Peaceman-Rachford adjoint)"; }

        @Override
        public Adjoint cotangent(JacobianTranspose vjp, NDArray v) {
            if (!(vjp instanceof Vjp recorded)) throw new IllegalArgumentException("the monotone adjoint needs the layer's recorded T(z*)");
            return Autograd.noGrad(() -> {
                try (NDArray mask = recorded.output().gt(0).toType(DataType.FLOAT32, false)) {
                    return new Adjoint(adjoint(ops, mask, v, tolerance, maxIterations), 0, Double.NaN, true);
                }
            });
        }
    }

    /** Solve from zeros with the configured solver; fbStep is needed only for FB. */
    public Solution solve(Operators ops, NDArray injected, double fbStep) {
        return solve(ops, config.method(), fbStep, injected, null, 0, config.tolerance(), config.maxIterations());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> p) {
        NDArray x = inputs.singletonOrThrow();
        NDArray flat = x.reshape(x.getShape().get(0), config.inputDim());
        NDManager m = x.getManager();
        return Autograd.noGrad(() -> {
            Operators ops = operators(m, config.method() == Method.PR);
            double step = config.method() == Method.FB ? forwardBackwardStep() : 0;
            Solution s = solve(ops, flat.toType(DataType.FLOAT32, false), step);
            return new NDList(ops.logits(s.z()));
        });
    }

    /** How {@link io.equilibria.models.ModelStore} builds this block from a card (declared in META-INF/services). */
    public static final class ArchitectureFactory extends io.equilibria.models.Architectures.Entry<EquilibriumNet> {
        public ArchitectureFactory() {
            super(EquilibriumNet.class, h -> new EquilibriumNet(Config.fromMap(h)), EquilibriumNet::initialize, null,
                    "io.equilibria.certify.deq.EquilibriumNet"); // the type in cards written before the package move
        }
    }
}
