package io.equilibria.solvers;

import ai.djl.ndarray.NDArray;
import io.equilibria.errors.NumericalException;

import java.util.Locale;

/**
 * The outcome of a fixed-point solve: the iterate with the lowest residual seen, whether it met the tolerance,
 * how many evaluations of T it took, and the whole residual trace (one entry per evaluation, in the stop mode's
 * units; the worst sample when batched). The caller owns {@code z}.
 */
public record Solution(NDArray z, boolean converged, boolean cancelled, int iterations, double residual,
                       double[] trace, String solver, StopMode stopMode, double tolerance, double seconds) {

    /** Throws unless the tolerance was met, naming the residual; for callers that must not use an unconverged z. */
    public Solution requireConverged() {
        if (!converged) {
            throw new NumericalException(String.format(Locale.ROOT,
                    "%s did not converge: %s residual %.3g after %d iterations (tolerance %.3g)", solver,
                    stopMode.name().toLowerCase(Locale.ROOT), residual, iterations, tolerance));
        }
        return this;
    }

    public String summary() {
        return String.format(Locale.ROOT, "%s: %s after %d iterations, %s residual %.3g (tol %.3g), %.3f s", solver,
                converged ? "converged" : cancelled ? "cancelled" : "NOT converged", iterations,
                stopMode.name().toLowerCase(Locale.ROOT), residual, tolerance, seconds);
    }
}
