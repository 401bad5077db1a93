package io.equilibria.solvers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.Locale;

/**
 * Limited-memory "good" Broyden on g(z) = T(z) − z, as in locuslab/deq and TorchDEQ: the inverse Jacobian of g is
 * approximated by H = −I + Σ u_i v_iᵀ, updated after each step with the secant condition H Δg = Δz, and the step is
 * Δz = −H g(z) with unit length. The m rank-one terms live in fixed buffers, overwritten oldest-first.
 */
public final class Broyden implements FixedPointSolver {
    private final int memory;
    private int restarts;

    public Broyden(int memory) {
        if (memory < 1) throw new IllegalArgumentException("broyden memory must be >= 1, got " + memory);
        this.memory = memory;
    }

    public Broyden() { this(30); }

    @Override public String describe() { return String.format(Locale.ROOT, "broyden(m=%d)", memory); }

    @Override
    public Solution solve(FixedPointMap map, NDArray z0, SolverOptions o) {
        Tracker t = new Tracker(describe(), o, z0);
        Shape bufShape = Tracker.history(z0, o, memory);
        int b = (int) bufShape.get(0);
        NDArray us = null, vs = null, g = null, update = null;
        NDArray z = z0;
        int stored = 0;
        restarts = 0;
        try {
            us = z0.getManager().zeros(bufShape, z0.getDataType());
            vs = z0.getManager().zeros(bufShape, z0.getDataType());
            boolean first;
            try (NDScope scope = new NDScope()) {
                NDArray f = map.apply(z);
                first = t.record(z, f);
                g = Tracker.flat(f, o).sub(Tracker.flat(z, o));
                update = g.duplicate(); // −H g with H = −I
                NDScope.unregister(g, update);
            }
            if (first || o.maxIterations() == 1) return t.finish(z);
            for (int k = 1; k < o.maxIterations(); k++) {
                NDArray zNew, gNew, nextUpdate;
                boolean done;
                try (NDScope scope = new NDScope()) {
                    zNew = Tracker.flat(z, o).add(update).reshape(z0.getShape());
                    NDArray f = map.apply(zNew);
                    done = t.record(zNew, f);
                    gNew = Tracker.flat(f, o).sub(Tracker.flat(zNew, o));
                    nextUpdate = null;
                    if (!done) {
                        if (stored == memory) {
                            // memory full: restart from −I. Overwriting single old terms (as TorchDEQ does) breaks the
                            // nested structure of the good-Broyden terms and was seen to stall on ill-conditioned maps
                            us.subi(us);
                            vs.subi(vs);
                            stored = 0;
                        }
                        NDArray dz = update;
                        NDArray dg = gNew.sub(g);
                        int n = Math.min(stored, memory);
                        NDArray vT = apply(vs, us, n, dz);                       // Hᵀ Δz
                        NDArray denom = vT.mul(dg).sum(new int[] {1}, true);
                        NDArray u = dz.sub(apply(us, vs, n, dg)).div(denom);     // (Δz − H Δg) / (vᵀ Δg)
                        u = zeroNonFinite(u);
                        vT = zeroNonFinite(vT);
                        NDIndex slot = new NDIndex(":, {}", stored % memory);
                        us.set(slot, u);
                        vs.set(slot, vT);
                        stored++;
                        nextUpdate = apply(us, vs, Math.min(stored, memory), gNew).neg();
                        if (!sane(nextUpdate, gNew)) {
                            // a near-zero secant denominator blew the step up: forget the history, take a plain step
                            us.subi(us);
                            vs.subi(vs);
                            stored = 0;
                            restarts++;
                            nextUpdate = gNew.duplicate();
                        }
                        NDScope.unregister(nextUpdate);
                    }
                    NDScope.unregister(zNew, gNew);
                }
                t.release(z);
                z = zNew;
                g.close();
                g = gNew;
                update.close();
                update = nextUpdate;
                if (done) break;
            }
            return t.finish(z);
        } catch (RuntimeException e) {
            t.abort(z);
            throw e;
        } finally {
            for (NDArray a : new NDArray[] {us, vs, g, update}) if (a != null) a.close();
        }
    }

    /** H x with H = −I + Σ_{i<n} a_i b_iᵀ, per sample: the buffers are (batch, m, d), x is (batch, d). */
    private static NDArray apply(NDArray a, NDArray bBuf, int n, NDArray x) {
        if (n == 0) return x.neg();
        NDIndex first = new NDIndex(":, :{}", n);
        NDArray coeff = bBuf.get(first).matMul(x.expandDims(2));          // (batch, n, 1)
        NDArray low = coeff.transpose(0, 2, 1).matMul(a.get(first));       // (batch, 1, d)
        return low.squeeze(1).sub(x);
    }

    /** The quasi-Newton step is finite and not absurdly longer than the residual (per sample). */
    private static boolean sane(NDArray step, NDArray g) {
        double[] s = Tracker.rowNorms(step), r = Tracker.rowNorms(g);
        for (int i = 0; i < s.length; i++) if (!Double.isFinite(s[i]) || s[i] > 1e4 * r[i] + 1e-300) return false;
        return true;
    }

    private static NDArray zeroNonFinite(NDArray a) {
        NDArray bad = a.isNaN().logicalOr(a.isInfinite());
        return ai.djl.ndarray.NDArrays.where(bad, a.zerosLike(), a);
    }
}
