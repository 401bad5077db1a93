package io.equilibria.solvers;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.Locale;

/**
 * Anderson acceleration (type II, Walker &amp; Ni): keep the last m iterates X_i and images F_i = T(X_i), find weights
 * α (Σα = 1) minimising ‖Σ α_i (F_i − X_i)‖² + λ‖α‖², and move to z = Σ α_i ((1 − β) X_i + β F_i).
 *
 * <p>The m×m Gram matrix of residuals is kept on the host and grown by one row per iteration (one batched product
 * against the residual buffer), so each step costs one evaluation of T plus O(m·d) work. λ is relative to the largest
 * the newest residual's squared norm, which makes it independent of the scale of z. Per sample when batched.
 */
public final class Anderson implements FixedPointSolver {
    private final int memory;
    private final double lambda;
    private final double beta;

    public Anderson(int memory, double lambda, double beta) {
        if (memory < 1) throw new IllegalArgumentException("anderson memory m must be >= 1, got " + memory);
        if (!(lambda >= 0)) throw new IllegalArgumentException("anderson lambda must be >= 0");
        if (!(beta > 0 && beta <= 1)) throw new IllegalArgumentException("anderson beta must be in (0, 1], got " + beta);
        this.memory = memory;
        this.lambda = lambda;
        this.beta = beta;
    }

    public Anderson() { this(5, 1e-4, 1.0); }

    @Override
    public String describe() { return String.format(Locale.ROOT, "anderson(m=%d, lambda=%s, beta=%s)", memory, lambda, beta); }

    @Override
    public Solution solve(FixedPointMap map, NDArray z0, SolverOptions o) {
        Tracker t = new Tracker(describe(), o, z0);
        Shape bufShape = Tracker.history(z0, o, memory);
        int b = (int) bufShape.get(0);
        NDArray xs = null, fs = null, gs = null;
        double[][][] gram = new double[b][memory][memory];
        try {
            xs = z0.getManager().zeros(bufShape, z0.getDataType());
            fs = z0.getManager().zeros(bufShape, z0.getDataType());
            gs = z0.getManager().zeros(bufShape, z0.getDataType());
            NDArray xb = xs, fb = fs, gb = gs;
            return t.iterate(map, (k, z, f) -> {
                int slot = k % memory;
                int n = Math.min(k + 1, memory);
                NDArray zf = Tracker.flat(z, o);
                NDArray ff = Tracker.flat(f, o);
                NDArray g = ff.sub(zf);
                NDIndex at = new NDIndex(":, {}", slot);
                xb.set(at, zf);
                fb.set(at, ff);
                gb.set(at, g);
                // new Gram row: <G_i, G_slot> for the n stored residuals, per sample
                NDArray row = gb.get(new NDIndex(":, :{}", n)).matMul(g.expandDims(2)).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                double[] rv = row.toDoubleArray();
                for (int s = 0; s < b; s++) {
                    for (int i = 0; i < n; i++) {
                        gram[s][slot][i] = rv[s * n + i];
                        gram[s][i][slot] = rv[s * n + i];
                    }
                }
                double[] alpha = new double[b * n];
                for (int s = 0; s < b; s++) System.arraycopy(weights(gram[s], n, slot), 0, alpha, s * n, n);
                NDArray a = Tensors.owned(z.getManager().create(alpha, new Shape(b, 1, n))).toType(z.getDataType(), false);
                NDArray mixF = a.matMul(fb.get(new NDIndex(":, :{}", n)));
                NDArray mixed = beta == 1 ? mixF : mixF.mul(beta).addi(a.matMul(xb.get(new NDIndex(":, :{}", n))).muli(1 - beta));
                return mixed.reshape(z0.getShape());
            });
        } finally {
            if (xs != null) xs.close();
            if (fs != null) fs.close();
            if (gs != null) gs.close();
        }
    }

    /** Solves (H + λ·‖F_newest‖²·I) w = 1 and normalises w to sum 1; falls back to the newest iterate if singular. */
    private double[] weights(double[][] h, int n, int newest) {
        // λ is relative to the newest residual's squared norm: relative to the largest (often the first, huge) one it
        // would swamp the small differences between late iterates and stall the solve far above rounding level
        double scale = h[newest][newest];
        double[][] a = new double[n][n + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) a[i][j] = h[i][j];
            a[i][i] += lambda * scale + 1e-300;
            a[i][n] = 1;
        }
        double[] w = GaussianElimination.solve(a, n);
        double sum = 0;
        if (w != null) for (double v : w) sum += v;
        double size = 0;
        if (w != null) for (double v : w) size = Math.max(size, Math.abs(v));
        // a near-singular Gram matrix gives huge cancelling weights: take a plain step instead
        if (w == null || !Double.isFinite(sum) || Math.abs(sum) < 1e-300 || size > 1e8 * Math.abs(sum)) {
            w = new double[n];
            w[newest] = 1; // a plain (damped) step from the newest iterate
            return w;
        }
        for (int i = 0; i < n; i++) w[i] /= sum;
        return w;
    }
}
