package io.equilibria.certify.lipschitz;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

import java.util.List;

/**
 * Stack of SDP-based Lipschitz layers (SLL; Araujo, Havens, Delattre, Allauzen, Hu, ICLR 2023) followed by
 * a linear layer, float64:
 * x_k = h_k(x_{k−1}) = x_{k−1} − 2 W_k T_k⁻¹ ReLU(W_kᵀ x_{k−1} + b_k), T_k = diag(Σ_j |W_kᵀW_k|_{ij} q_j/q_i),
 * y = F x_D + c. Each h_k is 1-Lipschitz because T_k ⪰ W_kᵀW_k (their Theorem), so y is ‖F‖₂-Lipschitz.
 * Convex potential layers (CPL, T = ‖W‖₂² I) are the same form and may be mixed in ({@link Layer#cpl}).
 *
 * <p>{@link #toLben()} writes it exactly as an LBEN (Havens et al., NeurIPS 2023, Sec. on SLL;
 * {@code AaronHavens/ExploitingLipschitzDEQ}, {@code core/models/dense_deq.py}): state z = (z_0, z_1, …, z_D),
 * z_0 = x (linear neurons), z_k = ReLU(W_kᵀ x_{k−1} + b_k) with x_{k−1} = z_0 + Σ_{i&lt;k} G_i z_i,
 * G_i = −2 W_i T_i⁻¹. Hence W is strictly block lower triangular with blocks W_kᵀ (column 0) and W_kᵀG_i
 * (column i ≥ 1), U = [I; 0; …], output matrix F[I, G_1, …, G_D], Λ = γ·diag(I, 2T_1⁻¹, …, 2T_D⁻¹),
 * γ = ‖F‖₂. With Λ₁ = diag(I, 2T⁻¹, …) the LBEN inequality at γ = 1 reduces blockwise to 2T_k⁻¹ − 2T_k⁻¹W_kᵀW_k2T_k⁻¹ ⪰ 0,
 * i.e. exactly the SLL condition T_k ⪰ W_kᵀW_k; scaling Λ by γ absorbs ‖F‖ ≤ γ.
 *
 * <p>Difference from the reference code: dense_deq.py applies ReLU to z_0 as well, which reproduces the SLL
 * only for nonnegative inputs (images in [0,1]); here z_0 uses the identity (slope in [0,1], allowed by the
 * LBEN theory), so the conversion is exact for every input.
 */
public final class Sll {

    /**
     * One residual layer x ↦ x − 2 W T⁻¹ ReLU(Wᵀx + b) with W (d×h), bias b (h) and the diagonal of T given as
     * {@code tInv} = diag(T⁻¹); 1-Lipschitz whenever T ⪰ WᵀW. Build with {@link #sll} or {@link #cpl}.
     */
    public record Layer(RealMatrix w, double[] b, double[] tInv) {

        /** SLL (Araujo et al.): T_ii = Σ_j |WᵀW|_{ij} q_j/q_i, q &gt; 0. */
        public static Layer sll(RealMatrix w, double[] b, double[] q) {
            RealMatrix wtw = w.transpose().multiply(w);
            int h = wtw.getRowDimension();
            if (q.length != h) throw new IllegalArgumentException("q has the wrong length");
            double[] t = new double[h];
            for (int i = 0; i < h; i++) {
                if (!(q[i] > 0)) throw new IllegalArgumentException("q must be > 0");
                double s = 0;
                for (int j = 0; j < h; j++) s += Math.abs(wtw.getEntry(i, j)) * q[j] / q[i];
                if (s == 0) throw new IllegalArgumentException("zero column in W (T would be 0)");
                t[i] = 1 / s;
            }
            return new Layer(w, b, t);
        }

        /**
         * Convex potential layer (CPL; Meunier, Delattre, Araujo, Allauzen, ICML 2022):
         * x − (2/‖W‖₂²) W ReLU(Wᵀx + b), i.e. T = ‖W‖₂² I ⪰ WᵀW — the same LBEN conversion applies.
         */
        public static Layer cpl(RealMatrix w, double[] b) {
            double nrm = new SingularValueDecomposition(w).getNorm();
            double[] t = new double[w.getColumnDimension()];
            java.util.Arrays.fill(t, 1 / (nrm * nrm));
            return new Layer(w, b, t);
        }

        /** G = −2 W T⁻¹ (d×h). */
        RealMatrix gMatrix() {
            RealMatrix gm = w.scalarMultiply(-2);
            for (int i = 0; i < gm.getRowDimension(); i++)
                for (int j = 0; j < gm.getColumnDimension(); j++) gm.multiplyEntry(i, j, tInv[j]);
            return gm;
        }
    }

    private final List<Layer> layers;
    private final RealMatrix f;
    private final double[] c;
    private final int d;

    public Sll(List<Layer> layers, RealMatrix f, double[] c) {
        this.layers = List.copyOf(layers);
        this.f = f.copy();
        this.c = c.clone();
        this.d = f.getColumnDimension();
        for (Layer l : layers) {
            if (l.w().getRowDimension() != d || l.b().length != l.w().getColumnDimension()
                    || l.tInv().length != l.b().length) throw new IllegalArgumentException("inconsistent SLL layer");
        }
    }

    /** Lipschitz bound of the network: ‖F‖₂ (each SLL layer is 1-Lipschitz). */
    public double lipschitzBound() { return new SingularValueDecomposition(f).getNorm(); }

    /** The explicit network. */
    public double[] forward(double[] x) {
        double[] h = x.clone();
        for (Layer l : layers) {
            double[] pre = l.w().transpose().operate(h);
            double[] ti = l.tInv();
            for (int i = 0; i < pre.length; i++) pre[i] = 2 * ti[i] * Math.max(0, pre[i] + l.b()[i]);
            double[] corr = l.w().operate(pre);
            for (int i = 0; i < d; i++) h[i] -= corr[i];
        }
        double[] y = f.operate(h);
        for (int i = 0; i < y.length; i++) y[i] += c[i];
        return y;
    }

    /** Exact LBEN form (see class Javadoc), with γ = ‖F‖₂. */
    public Lben toLben() {
        int depth = layers.size();
        int[] off = new int[depth + 2];
        off[1] = d;
        for (int k = 0; k < depth; k++) off[k + 2] = off[k + 1] + layers.get(k).b().length;
        int n = off[depth + 1];
        RealMatrix[] gs = new RealMatrix[depth];
        for (int k = 0; k < depth; k++) gs[k] = layers.get(k).gMatrix();

        RealMatrix wm = new Array2DRowRealMatrix(n, n);
        double[] bias = new double[n];
        double gamma = lipschitzBound();
        double[] lam = new double[n];
        boolean[] linear = new boolean[n];
        for (int i = 0; i < d; i++) { lam[i] = gamma; linear[i] = true; }
        RealMatrix gFull = new Array2DRowRealMatrix(d, n);
        gFull.setSubMatrix(MatrixUtils.createRealIdentityMatrix(d).getData(), 0, 0);
        for (int k = 0; k < depth; k++) {
            Layer l = layers.get(k);
            RealMatrix wt = l.w().transpose();
            wm.setSubMatrix(wt.getData(), off[k + 1], 0);
            for (int i = 0; i < k; i++) wm.setSubMatrix(wt.multiply(gs[i]).getData(), off[k + 1], off[i + 1]);
            System.arraycopy(l.b(), 0, bias, off[k + 1], l.b().length);
            double[] ti = l.tInv();
            for (int i = 0; i < ti.length; i++) lam[off[k + 1] + i] = gamma * 2 * ti[i];
            gFull.setSubMatrix(gs[k].getData(), 0, off[k + 1]);
        }
        RealMatrix um = new Array2DRowRealMatrix(n, d);
        um.setSubMatrix(MatrixUtils.createRealIdentityMatrix(d).getData(), 0, 0);
        return new Lben(wm, um, bias, f.multiply(gFull), c, lam, gamma, linear);
    }
}
