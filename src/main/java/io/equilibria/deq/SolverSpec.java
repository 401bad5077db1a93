package io.equilibria.deq;

import io.equilibria.solvers.FixedPointSolver;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;
import io.equilibria.solvers.StopMode;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How an equilibrium model finds its fixed point and differentiates through it, kept apart from the architecture:
 * the forward solver ({@link Solvers#parse} syntax, e.g. {@code anderson:m=5,lambda=1e-4}) with its iteration cap and
 * relative tolerance, and the backward {@link GradientMode} ({@link GradientMode#parse} syntax: {@code ift},
 * {@code jfb}, {@code neumann:K}, {@code phantom:K,λ}) with the cap and relative tolerance of an implicit backward
 * solve. Both solves are batched (axis 0 indexes independent images, the worst one decides) and give up on a residual
 * that grows for 50 steps in a row.
 *
 * <p>A model is built from its architecture config and a spec; {@link #layer} makes the {@link DeqLayer} that runs its
 * fixed point forward and backward. A card may carry a spec in its architecture under {@value #CARD_FIELD}
 * ({@link #toMap}); older cards have none and get the model's default, built from their own fields.
 */
public record SolverSpec(String solver, int maxIterations, double tolerance, String gradient, int backwardMaxIterations,
                         double backwardTolerance) {
    /** The architecture field that holds a spec in a model card. */
    public static final String CARD_FIELD = "solverSpec";

    /** Anderson as every equilibrium classifier used it before specs: memory 5, regularisation 1e-4, no damping. */
    public static final String ANDERSON = "anderson:m=5,lambda=1e-4,beta=1";

    public SolverSpec {
        if (maxIterations < 1 || backwardMaxIterations < 1) throw new IllegalArgumentException("iteration caps must be >= 1");
        if (!(tolerance > 0) || !(backwardTolerance > 0)) throw new IllegalArgumentException("tolerances must be > 0");
        Solvers.parse(solver);                         // fail on a bad name when the spec is made, not at the first solve
        GradientMode.parse(gradient, SolverOptions.defaults());
    }

    /** The forward solver (a new instance: solvers keep no state between solves, but callers may hold it). */
    public FixedPointSolver forwardSolver() { return Solvers.parse(solver); }

    public SolverOptions forwardOptions() { return options(maxIterations, tolerance); }

    public SolverOptions backwardOptions() { return options(backwardMaxIterations, backwardTolerance); }

    /** The backward gradient, an implicit solve using {@link #backwardOptions}. */
    public GradientMode gradientMode() { return GradientMode.parse(gradient, backwardOptions()); }

    /** The one DEQ layer that solves {@code cell}'s fixed point with this spec and differentiates through it. */
    public DeqLayer layer(DeqCell cell) {
        return new DeqLayer(cell, forwardSolver(), forwardOptions(), gradientMode());
    }

    private static SolverOptions options(int maxIterations, double tolerance) {
        return SolverOptions.defaults().withMaxIterations(maxIterations).withTolerance(tolerance).withStopMode(StopMode.RELATIVE)
                .withBatched(true).withDivergencePatience(50);
    }

    public SolverSpec withSolver(String s) {
        return new SolverSpec(s, maxIterations, tolerance, gradient, backwardMaxIterations, backwardTolerance);
    }

    public SolverSpec withForward(double tol, int maxIter) {
        return new SolverSpec(solver, maxIter, tol, gradient, backwardMaxIterations, backwardTolerance);
    }

    public SolverSpec withGradient(String g) {
        return new SolverSpec(solver, maxIterations, tolerance, g, backwardMaxIterations, backwardTolerance);
    }

    public SolverSpec withBackward(double tol, int maxIter) {
        return new SolverSpec(solver, maxIterations, tolerance, gradient, maxIter, tol);
    }

    public String describe() {
        return String.format(Locale.ROOT, "%s (relative tolerance %.3g, max %d), gradient %s", forwardSolver().describe(), tolerance,
                maxIterations, gradientMode().describe());
    }

    /** The fields of {@link #toMap}, in the order of the record's components. */
    private static final String[] FIELDS = {"solver", "maxIterations", "tolerance", "gradient", "backwardMaxIterations", "backwardTolerance"};

    /** The spec as a card stores it under {@value #CARD_FIELD}. */
    public Map<String, Object> toMap() {
        Object[] values = {solver, maxIterations, tolerance, gradient, backwardMaxIterations, backwardTolerance};
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < FIELDS.length; i++) m.put(FIELDS[i], values[i]);
        return m;
    }

    /** The spec a card's architecture carries under {@value #CARD_FIELD}, each missing field taken from {@code defaults}. */
    public static SolverSpec fromCard(Map<String, Object> architecture, SolverSpec defaults) {
        if (!(architecture.get(CARD_FIELD) instanceof Map<?, ?> m)) return defaults;
        return new SolverSpec(text(m, "solver", defaults.solver()), (int) number(m, "maxIterations", defaults.maxIterations()),
                number(m, "tolerance", defaults.tolerance()), text(m, "gradient", defaults.gradient()),
                (int) number(m, "backwardMaxIterations", defaults.backwardMaxIterations()),
                number(m, "backwardTolerance", defaults.backwardTolerance()));
    }

    private static String text(Map<?, ?> m, String key, String dflt) {
        Object v = m.get(key);
        return v == null ? dflt : v.toString();
    }

    private static double number(Map<?, ?> m, String key, double dflt) {
        Object v = m.get(key);
        if (v == null) return dflt;
        if (v instanceof Number n) return n.doubleValue();
        throw new IllegalArgumentException(CARD_FIELD + "." + key + " must be a number, got " + v);
    }
}
