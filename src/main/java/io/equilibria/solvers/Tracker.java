package io.equilibria.solvers;

import io.equilibria.errors.DivergenceException;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Arrays;
import java.util.Locale;

/**
 * Book-keeping every solver shares: residuals per evaluation, the best iterate (which it owns), divergence rules,
 * the stop test and the listener. The solver owns its current iterate; {@link #release} closes an iterate the
 * tracker does not keep.
 */
final class Tracker {
    private final String solver;
    private final SolverOptions options;
    private final NDArray z0;
    private final long t0 = System.nanoTime();
    private double[] trace = new double[16];
    private int count;
    private NDArray best;
    private boolean bestReleased; // the solver is done with the best iterate, so replacing it may close it
    private double bestResidual = Double.POSITIVE_INFINITY;
    private int bestIteration;
    private int growthStreak;
    private boolean converged;
    private boolean cancelled;
    private boolean stalled;
    private double lastAbsolute, firstAbsolute;

    Tracker(String solver, SolverOptions options, NDArray z0) {
        this.solver = solver;
        this.options = options;
        this.z0 = z0;
    }

    /** One step of a solver that needs only the current iterate z and f = T(z): the next iterate. */
    interface Step {
        NDArray next(int k, NDArray z, NDArray f);
    }

    /**
     * The loop of the one-step solvers: f = T(z), stop when {@link #record} says so, else z = step(z, f). Each
     * iteration's intermediates are freed with it; the iterate the step returns is kept.
     */
    Solution iterate(FixedPointMap map, Step step) {
        NDArray z = z0;
        try {
            for (int k = 0; k < options.maxIterations(); k++) {
                NDArray next;
                try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                    NDArray f = map.apply(z);
                    if (record(z, f)) break;
                    next = step.next(k, z, f);
                    ai.djl.ndarray.NDScope.unregister(next);
                }
                release(z);
                z = next;
            }
            return finish(z);
        } catch (RuntimeException e) {
            abort(z);
            throw e;
        }
    }

    /** The shape of a solver's history buffers: (batch rows, memory, values per row). */
    static Shape history(NDArray z0, SolverOptions o, int memory) {
        long b = batch(z0, o);
        return new Shape(b, memory, z0.getShape().size() / b);
    }

    /** Rows of a batched problem (axis 0), or 1. */
    static long batch(NDArray z, SolverOptions o) {
        return o.batched() && z.getShape().dimension() > 0 ? z.getShape().get(0) : 1;
    }

    /** z viewed as (batch, rest). */
    static NDArray flat(NDArray z, SolverOptions o) {
        long b = batch(z, o);
        return z.reshape(new Shape(b, z.getShape().size() / b));
    }

    /**
     * Records the residual of iterate z with f = T(z); returns true when the solve should stop (tolerance met or
     * cancelled). Throws {@link DivergenceException} on NaN/Inf or a blown-up or steadily growing residual.
     */
    boolean record(NDArray z, NDArray f) {
        double r = residual(z, f);
        // the absolute residual too: iterates running off to infinity keep a constant *relative* residual
        double abs = lastAbsolute;
        if (count == 0) firstAbsolute = abs;
        if (count == trace.length) trace = Arrays.copyOf(trace, count * 2);
        trace[count++] = r;
        if (!Double.isFinite(r)) {
            throw diverged(String.format(Locale.ROOT, "the residual became %s at iteration %d", r, count));
        }
        if (count > 1 && r > trace[count - 2]) growthStreak++;
        else growthStreak = 0;
        if (r < bestResidual) {
            if (best != null && bestReleased && best != z0 && best != z) best.close();
            best = z;
            bestReleased = false;
            bestResidual = r;
            bestIteration = count;
        }
        if (count > 1 && r > options.blowUpFactor() * trace[0]) {
            throw diverged(String.format(Locale.ROOT, "the residual grew from %.3g to %.3g by iteration %d", trace[0], r, count));
        }
        if (count > 1 && abs > options.blowUpFactor() * firstAbsolute) {
            throw diverged(String.format(Locale.ROOT, "the absolute residual ‖T(z) − z‖ grew from %.3g to %.3g by iteration %d",
                    firstAbsolute, abs, count));
        }
        if (growthStreak >= options.divergencePatience() && r > 10 * bestResidual) {
            throw diverged(String.format(Locale.ROOT, "the residual grew for %d iterations in a row to %.3g at iteration %d",
                    growthStreak, r, count));
        }
        if (r <= options.tolerance()) {
            converged = true;
            return true;
        }
        if (count - bestIteration >= 5 * options.divergencePatience()) {
            stalled = true; // no progress for many iterations (e.g. at the rounding floor): stop, not converged
            return true;
        }
        IterationListener l = options.listener();
        if (l != null && !l.onIteration(count, options.maxIterations(), z, r)) {
            cancelled = true;
            return true;
        }
        return false;
    }

    private DivergenceException diverged(String what) {
        return new DivergenceException(String.format(Locale.ROOT,
                "%s diverged: %s (%s residual; best %.3g at iteration %d). The map is not contractive here: "
                        + "try damping (picard:beta=0.5), a smaller step, or check the model and inputs",
                solver, what, options.stopMode().name().toLowerCase(Locale.ROOT), bestResidual, bestIteration),
                Arrays.copyOf(trace, count));
    }

    /** Worst-sample residual of z in the stop mode's units, computed in float64 on the host. */
    private double residual(NDArray z, NDArray f) {
        NDArray fz = flat(f, options);
        NDArray d = fz.sub(flat(z, options));
        double[] dn = rowNorms(d);
        // relative to the larger of ‖T(z)‖ and ‖z‖, so a map that sends z to 0 does not look infinitely far off
        double[] fn = options.stopMode() == StopMode.RELATIVE ? rowNorms(fz) : null;
        double[] zn = options.stopMode() == StopMode.RELATIVE ? rowNorms(flat(z, options)) : null;
        d.close();
        double worst = 0, worstAbs = 0;
        for (double v : dn) worstAbs = Math.max(worstAbs, v);
        lastAbsolute = worstAbs;
        for (int i = 0; i < dn.length; i++) {
            double r = fn == null ? dn[i] : dn[i] / Math.max(Math.max(fn[i], zn[i]), 1e-30);
            if (Double.isNaN(r)) return r;
            worst = Math.max(worst, r);
        }
        return worst;
    }

    static double[] rowNorms(NDArray flat) {
        NDArray d = flat.getDataType() == DataType.FLOAT64 ? flat : flat.toType(DataType.FLOAT64, false);
        NDArray s = d.square().sum(new int[] {1});
        double[] out = s.toDoubleArray();
        for (int i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]);
        return out;
    }

    boolean isBest(NDArray z) { return z == best; }

    /** Closes an iterate the solver is done with unless it is the best one or the caller's warm start. */
    void release(NDArray z) {
        if (z == null) return;
        if (z == best) bestReleased = true;
        else if (z != z0) z.close();
    }

    /** Builds the solution around the best iterate; {@code current} (the solver's last iterate) is released. */
    Solution finish(NDArray current) {
        release(current);
        NDArray z = best == z0 || best == null ? z0.duplicate() : best;
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Solution(z, converged, cancelled, count, bestResidual, Arrays.copyOf(trace, count), solver,
                options.stopMode(), options.tolerance(), seconds);
    }

    /** On an exception from T: frees what the tracker keeps. */
    void abort(NDArray current) {
        release(current);
        if (best != null && best != z0) best.close();
        best = null;
    }
}
