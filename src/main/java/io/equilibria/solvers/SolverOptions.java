package io.equilibria.solvers;

/**
 * Stopping and safety settings shared by every solver.
 *
 * @param maxIterations      evaluations of T at most
 * @param tolerance          stop when the residual (per {@code stopMode}) is at most this
 * @param stopMode           relative or absolute residual
 * @param batched            axis 0 of z indexes independent problems: residuals, Anderson weights and Broyden
 *                           updates are per sample, and the solve stops when the worst sample meets the tolerance
 * @param divergencePatience residual growing this many steps in a row (and 10× above the best) counts as divergence
 * @param blowUpFactor       a residual this many times the first one counts as divergence
 * @param listener           optional per-iteration callback (progress, cancel); may be null
 */
public record SolverOptions(int maxIterations, double tolerance, StopMode stopMode, boolean batched,
                            int divergencePatience, double blowUpFactor, IterationListener listener) {
    public SolverOptions {
        if (maxIterations < 1) throw new IllegalArgumentException("max iterations must be >= 1, got " + maxIterations);
        if (!(tolerance >= 0)) throw new IllegalArgumentException("tolerance must be >= 0, got " + tolerance);
        if (divergencePatience < 2) throw new IllegalArgumentException("divergence patience must be >= 2");
        if (!(blowUpFactor > 1)) throw new IllegalArgumentException("blow-up factor must be > 1");
    }

    /** TorchDEQ's forward defaults: 40 iterations, relative tolerance 1e-3. */
    public static SolverOptions defaults() {
        return new SolverOptions(40, 1e-3, StopMode.RELATIVE, false, 20, 1e6, null);
    }

    public static SolverOptions of(int maxIterations, double tolerance) {
        return defaults().withMaxIterations(maxIterations).withTolerance(tolerance);
    }

    public SolverOptions withMaxIterations(int n) { return new SolverOptions(n, tolerance, stopMode, batched, divergencePatience, blowUpFactor, listener); }
    public SolverOptions withTolerance(double t) { return new SolverOptions(maxIterations, t, stopMode, batched, divergencePatience, blowUpFactor, listener); }
    public SolverOptions withStopMode(StopMode m) { return new SolverOptions(maxIterations, tolerance, m, batched, divergencePatience, blowUpFactor, listener); }
    public SolverOptions withBatched(boolean b) { return new SolverOptions(maxIterations, tolerance, stopMode, b, divergencePatience, blowUpFactor, listener); }
    public SolverOptions withDivergencePatience(int p) { return new SolverOptions(maxIterations, tolerance, stopMode, batched, p, blowUpFactor, listener); }
    public SolverOptions withListener(IterationListener l) { return new SolverOptions(maxIterations, tolerance, stopMode, batched, divergencePatience, blowUpFactor, l); }
}
