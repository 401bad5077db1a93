package io.equilibria.certify.lipschitz;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

import java.util.ArrayList;
import java.util.List;

/**
 * Feed-forward stack of almost-orthogonal layers (AOL; Prach &amp; Lampert, ECCV 2022), float64:
 * z_k = ReLU(A_k z_{k−1} + b_k), z_0 = x, y = F z_D + c, with A_k = P_k D_k,
 * D_k = diag(Σ_j |P_kᵀP_k|_{ij})^{−1/2}, which makes ‖A_k‖₂ ≤ 1 for any P_k; so y is ‖F‖₂-Lipschitz.
 *
 * <p>{@link #toLben()} writes it as an LBEN with the same bound γ = ‖F‖₂: state (z_1, …, z_D), W with the
 * A_k on the block sub-diagonal, U = [A_1; 0; …], G = [0, …, F], Λ = γI. The LBEN matrix then equals
 * γ times a sum of blocks [[I, −A_kᵀ], [−A_k, I]] plus [[I − A_1A_1ᵀ]] and [[I − FᵀF/γ²]], each ⪰ 0 because
 * every norm is ≤ 1 — so the inequality holds exactly (our derivation; Havens et al. list AOL among the
 * LBEN special cases but we have not checked it against their code).
 */
public final class Aol {

    private final List<RealMatrix> a = new ArrayList<>();
    private final List<double[]> b = new ArrayList<>();
    private final RealMatrix f;
    private final double[] c;

    /** @param p unnormalised weights P_k (out_k × in_k); the AOL rescaling is applied here */
    public Aol(List<RealMatrix> p, List<double[]> biases, RealMatrix f, double[] c) {
        if (p.size() != biases.size() || p.isEmpty()) throw new IllegalArgumentException("need matching layers");
        for (int k = 0; k < p.size(); k++) {
            RealMatrix pk = p.get(k);
            RealMatrix ptp = pk.transpose().multiply(pk);
            RealMatrix ak = pk.copy();
            for (int j = 0; j < ptp.getColumnDimension(); j++) {
                double s = 0;
                for (int i = 0; i < ptp.getRowDimension(); i++) s += Math.abs(ptp.getEntry(j, i));
                double dj = s == 0 ? 0 : 1 / Math.sqrt(s);
                for (int i = 0; i < ak.getRowDimension(); i++) ak.multiplyEntry(i, j, dj);
            }
            if (k > 0 && ak.getColumnDimension() != a.get(k - 1).getRowDimension())
                throw new IllegalArgumentException("layer " + k + " does not fit");
            if (biases.get(k).length != ak.getRowDimension()) throw new IllegalArgumentException("bias " + k);
            a.add(ak);
            b.add(biases.get(k).clone());
        }
        this.f = f.copy();
        this.c = c.clone();
    }

    /** The rescaled weight A_k (‖A_k‖₂ ≤ 1). */
    public RealMatrix layer(int k) { return a.get(k).copy(); }

    public double lipschitzBound() { return new SingularValueDecomposition(f).getNorm(); }

    public double[] forward(double[] x) {
        double[] z = x.clone();
        for (int k = 0; k < a.size(); k++) {
            double[] v = a.get(k).operate(z);
            for (int i = 0; i < v.length; i++) v[i] = Math.max(0, v[i] + b.get(k)[i]);
            z = v;
        }
        double[] y = f.operate(z);
        for (int i = 0; i < y.length; i++) y[i] += c[i];
        return y;
    }

    public Lben toLben() {
        int depth = a.size();
        int[] off = new int[depth + 1];
        for (int k = 0; k < depth; k++) off[k + 1] = off[k] + a.get(k).getRowDimension();
        int n = off[depth], d = a.get(0).getColumnDimension();
        RealMatrix w = new Array2DRowRealMatrix(n, n);
        RealMatrix u = new Array2DRowRealMatrix(n, d);
        u.setSubMatrix(a.get(0).getData(), 0, 0);
        double[] bias = new double[n];
        for (int k = 0; k < depth; k++) {
            if (k > 0) w.setSubMatrix(a.get(k).getData(), off[k], off[k - 1]);
            System.arraycopy(b.get(k), 0, bias, off[k], b.get(k).length);
        }
        RealMatrix g = new Array2DRowRealMatrix(f.getRowDimension(), n);
        g.setSubMatrix(f.getData(), 0, off[depth - 1]);
        double gamma = lipschitzBound();
        double[] lam = new double[n];
        java.util.Arrays.fill(lam, gamma);
        return new Lben(w, u, bias, g, c, lam, gamma, null);
    }
}
