package io.equilibria.solvers;

import io.equilibria.errors.Setting;

import io.equilibria.errors.DivergenceException;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;

/**
 * Nesterov-accelerated fixed-point iteration, as ODER's forward pass: x_{k+1} = T(s_k),
 * t_{k+1} = ½(1 + √(1 + 4t_k²)), s_{k+1} = x_{k+1} + ((t_k − 1)/t_{k+1})(x_{k+1} − x_k), s_0 = x_0, t_0 = 1.
 *
 * <p>Built for stochastic maps (a fresh minibatch per evaluation), where a single residual is noisy and the lowest
 * one is luck, not quality. So, unlike the other solvers, it does not return the best iterate:
 * <ul>
 *   <li>the residual of step k is ‖x_{k+1} − x_k‖ / max(‖x_{k+1}‖, ‖x_k‖) (worst sample when batched), and the
 *       solve stops when the mean of the last {@code window} residuals meets the tolerance (the running residual);</li>
 *   <li>the output is the mean of the last {@code average} iterates (1: the last iterate), which averages out the
 *       minibatch noise of the final steps.</li>
 * </ul>
 * With window = average = 1 on a deterministic map it is plain accelerated iteration.
 *
 * <p>Adaptive restart (O'Donoghue &amp; Candès' gradient scheme, on by default): when the step s_k − T(s_k) points
 * along the last move x_{k+1} − x_k, momentum is carrying the iterate uphill, so t resets to 1. A RED map is not the
 * gradient of a convex function, and without restart the momentum (t_k − 1)/t_{k+1} → 1 makes it oscillate (a test
 * map in this project stalled at a residual of 0.1 without it).
 */
public final class Nesterov implements FixedPointSolver {
    private final int window, average;
    private final boolean restart;
    /** An iterate this many times larger than the start (or the first step) counts as divergence. */
    static final double BLOW_UP = 100;

    public Nesterov(int window, int average) {
        this(window, average, true);
    }

    public Nesterov(int window, int average, boolean restart) {
        this.restart = restart;
        if (window < 1) throw new IllegalArgumentException("nesterov window must be >= 1, got " + window);
        if (average < 1) throw new IllegalArgumentException("nesterov average must be >= 1, got " + average);
        this.window = window;
        this.average = average;
    }

    public int window() { return window; }
    public int average() { return average; }

    @Override
    public String describe() { return String.format(Locale.ROOT, "nesterov(window=%d, average=%d%s)", window, average, restart ? "" : ", restart=0"); }

    @Override
    public Solution solve(FixedPointMap map, NDArray z0, SolverOptions o) {
        long t0 = System.nanoTime();
        double[] trace = new double[Math.max(1, o.maxIterations())];
        int count = 0;
        boolean converged = false, cancelled = false;
        double running = Double.NaN, first = Double.NaN, scale = Double.NaN;
        Deque<NDArray> tail = new ArrayDeque<>(); // last `average` iterates, owned here
        NDArray x = z0, s = z0;
        double t = 1;
        int restarts = 0;
        try {
            for (int k = 0; k < o.maxIterations(); k++) {
                NDArray next, momentum;
                double r;
                try (NDScope scope = new NDScope()) {
                    next = map.apply(s);
                    r = relativeChange(x, next, o);
                    if (restart && k > 0 && inner(s.sub(next), next.sub(x)) > 0) {
                        t = 1;
                        restarts++;
                    }
                    double tn = 0.5 * (1 + Math.sqrt(1 + 4 * t * t));
                    double c = (t - 1) / tn;
                    momentum = c == 0 ? next : next.add(next.sub(x).mul(c));
                    t = tn;
                    NDScope.unregister(next);
                    if (momentum != next) NDScope.unregister(momentum);
                }
                trace[count++] = r;
                if (!Double.isFinite(r)) {
                    closeAll(next, momentum, tail);
                    throw new DivergenceException(String.format(Locale.ROOT,
                            "%s diverged: the residual became %s at iteration %d", describe(), r, count), Arrays.copyOf(trace, count));
                }
                double size = maxRowNorm(next, o);
                if (count == 1) {
                    first = r;
                    scale = Math.max(maxRowNorm(z0, o), size);
                } else if (size > BLOW_UP * scale) {
                    // the relative residual is bounded (≤ 2), so it cannot show divergence; the iterate's size can
                    closeAll(next, momentum, tail);
                    throw new DivergenceException(String.format(Locale.ROOT,
                            "%s diverged: the iterate grew to %.3g times its starting size by iteration %d (a stochastic "
                                    + "gradient with too much variance for momentum: enlarge %s, set %s to raw, "
                                    + "or set %s to anderson)", describe(), size / scale, count, Setting.MINIBATCH, Setting.SCALING,
                            Setting.SOLVER), Arrays.copyOf(trace, count));
                } else if (r > o.blowUpFactor() * first) {
                    closeAll(next, momentum, tail);
                    throw new DivergenceException(String.format(Locale.ROOT,
                            "%s diverged: the residual grew from %.3g to %.3g by iteration %d", describe(), first, r, count),
                            Arrays.copyOf(trace, count));
                }
                if (s != x && s != z0) s.close();
                if (!holds(tail, x) && x != z0) x.close();
                x = next;
                s = momentum;
                tail.addLast(x);
                if (tail.size() > average) {
                    NDArray old = tail.removeFirst();
                    if (old != x && old != s) old.close();
                }
                running = mean(trace, count, window);
                if (count >= window && running <= o.tolerance()) {
                    converged = true;
                    break;
                }
                IterationListener l = o.listener();
                if (l != null && !l.onIteration(count, o.maxIterations(), x, r)) {
                    cancelled = true;
                    break;
                }
            }
            NDArray out = tail.isEmpty() ? z0.duplicate() : averaged(tail);
            if (s != x && s != z0) s.close();
            for (NDArray a : tail) if (a != out && a != z0) a.close();
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Solution(out, converged, cancelled, count, count == 0 ? Double.NaN : running,
                    Arrays.copyOf(trace, count), describe(), o.stopMode(), o.tolerance(), seconds);
        } catch (RuntimeException e) {
            if (!(e instanceof DivergenceException)) closeAll(x == z0 ? null : x, s == z0 || s == x ? null : s, tail);
            throw e;
        }
    }

    private static NDArray averaged(Deque<NDArray> tail) {
        if (tail.size() == 1) return tail.getFirst().duplicate();
        NDArray sum = null;
        for (NDArray a : tail) sum = sum == null ? a.duplicate() : sum.addi(a);
        return sum.divi(tail.size());
    }

    /** By identity: DJL arrays may define equals as content equality. */
    private static boolean holds(Deque<NDArray> tail, NDArray a) {
        for (NDArray t : tail) if (t == a) return true;
        return false;
    }

    private static double maxRowNorm(NDArray z, SolverOptions o) {
        double m = 0;
        for (double v : Tracker.rowNorms(Tracker.flat(z, o))) m = Math.max(m, v);
        return m;
    }

    private static double inner(NDArray a, NDArray b) {
        return a.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).mul(b.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)).sum().getDouble();
    }

    private static double mean(double[] trace, int count, int window) {
        int n = Math.min(window, count);
        double sum = 0;
        for (int i = count - n; i < count; i++) sum += trace[i];
        return sum / n;
    }

    private static double relativeChange(NDArray x, NDArray next, SolverOptions o) {
        double[] dn = Tracker.rowNorms(Tracker.flat(next.sub(x), o));
        double[] a = Tracker.rowNorms(Tracker.flat(next, o));
        double[] b = Tracker.rowNorms(Tracker.flat(x, o));
        double worst = 0;
        for (int i = 0; i < dn.length; i++) {
            double r = o.stopMode() == StopMode.RELATIVE ? dn[i] / Math.max(Math.max(a[i], b[i]), 1e-30) : dn[i];
            if (Double.isNaN(r)) return r;
            worst = Math.max(worst, r);
        }
        return worst;
    }

    private static void closeAll(NDArray a, NDArray b, Deque<NDArray> tail) {
        for (NDArray t : tail) t.close();
        tail.clear();
        if (a != null) a.close();
        if (b != null && b != a) b.close();
    }
}
