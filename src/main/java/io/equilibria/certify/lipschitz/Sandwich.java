package io.equilibria.certify.lipschitz;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

import java.util.ArrayList;
import java.util.List;

/**
 * Stack of sandwich layers (Wang &amp; Manchester, "Direct parameterization of Lipschitz-bounded deep
 * networks", ICML 2023), float64: x_k = √2 A_kᵀ Ψ_k ReLU(√2 Ψ_k⁻¹ B_k x_{k−1} + b_k), y = F x_D + c, where
 * [B_k A_k] (n_k × (d_{k−1}+d_k)) has orthonormal rows, so each layer is 1-Lipschitz and y is ‖F‖₂-Lipschitz.
 * The paper obtains [B A] by a Cayley transform; here it is the polar factor (XXᵀ)^{−1/2}X of a free X
 * (n_k ≤ d_{k−1}+d_k), which gives the same set of row-orthonormal matrices — only the training-time map differs.
 *
 * <p>{@link #toLben()}: state (z_1, …, z_D) with z_k the hidden ReLU units, U = [√2Ψ_1⁻¹B_1; 0; …],
 * W_{k,k−1} = 2Ψ_k⁻¹B_kA_{k−1}ᵀΨ_{k−1}, G = [0, …, √2 F A_DᵀΨ_D], Λ = γ·diag(Ψ_1², …, Ψ_D²), γ = ‖F‖₂.
 * Our derivation: congruence by diag(Ψ_k⁻¹) turns the LBEN matrix (γ = 1, F = I) into the block tridiagonal
 * matrix with diagonal I − B_1B_1ᵀ = A_1A_1ᵀ, …, I − A_DA_Dᵀ and off-diagonal −B_{k+1}A_kᵀ, i.e. the sum of
 * the PSD terms [A_k; −B_{k+1}][A_k; −B_{k+1}]ᵀ; scaling Λ by γ absorbs ‖F‖ ≤ γ as for {@link Sll}.
 */
public final class Sandwich {

    private final List<RealMatrix> a = new ArrayList<>(), bm = new ArrayList<>();
    private final List<double[]> psi = new ArrayList<>(), bias = new ArrayList<>();
    private final RealMatrix f;
    private final double[] c;
    private final int inputDim;

    /**
     * @param x   free matrices X_k, n_k × (d_{k−1} + d_k), full row rank
     * @param dims d_0, d_1, …, d_D
     * @param psi diagonal of Ψ_k (positive), length n_k
     */
    public Sandwich(List<RealMatrix> x, int[] dims, List<double[]> psi, List<double[]> biases, RealMatrix f,
                    double[] c) {
        if (dims.length != x.size() + 1) throw new IllegalArgumentException("dims must have D+1 entries");
        for (int k = 0; k < x.size(); k++) {
            RealMatrix xk = x.get(k);
            int n = xk.getRowDimension();
            if (xk.getColumnDimension() != dims[k] + dims[k + 1] || n > xk.getColumnDimension()
                    || psi.get(k).length != n || biases.get(k).length != n)
                throw new IllegalArgumentException("layer " + k + " has inconsistent sizes");
            EigenDecomposition ed = new EigenDecomposition(xk.multiply(xk.transpose()));
            double[] ev = ed.getRealEigenvalues();
            double[] inv = new double[n];
            for (int i = 0; i < n; i++) {
                if (!(ev[i] > 0)) throw new IllegalArgumentException("X_" + k + " is rank deficient");
                inv[i] = 1 / Math.sqrt(ev[i]);
            }
            RealMatrix q = ed.getV().multiply(MatrixUtils.createRealDiagonalMatrix(inv))
                    .multiply(ed.getV().transpose()).multiply(xk);
            bm.add(q.getSubMatrix(0, n - 1, 0, dims[k] - 1));
            a.add(q.getSubMatrix(0, n - 1, dims[k], dims[k] + dims[k + 1] - 1));
            for (double p : psi.get(k)) if (!(p > 0)) throw new IllegalArgumentException("psi must be > 0");
            this.psi.add(psi.get(k).clone());
            bias.add(biases.get(k).clone());
        }
        this.f = f.copy();
        this.c = c.clone();
        this.inputDim = dims[0];
    }

    public double lipschitzBound() { return new SingularValueDecomposition(f).getNorm(); }

    /** Largest deviation of [B_k A_k][B_k A_k]ᵀ from I over the layers. */
    public double orthonormalityError() {
        double e = 0;
        for (int k = 0; k < a.size(); k++) {
            RealMatrix m = a.get(k).multiply(a.get(k).transpose()).add(bm.get(k).multiply(bm.get(k).transpose()))
                    .subtract(MatrixUtils.createRealIdentityMatrix(a.get(k).getRowDimension()));
            for (double[] row : m.getData()) for (double v : row) e = Math.max(e, Math.abs(v));
        }
        return e;
    }

    public double[] forward(double[] x) {
        double[] h = x.clone();
        for (int k = 0; k < a.size(); k++) {
            double[] p = psi.get(k);
            double[] v = bm.get(k).operate(h);
            for (int i = 0; i < v.length; i++) v[i] = p[i] * Math.max(0, Math.sqrt(2) * v[i] / p[i] + bias.get(k)[i]);
            h = a.get(k).transpose().operate(v);
            for (int i = 0; i < h.length; i++) h[i] *= Math.sqrt(2);
        }
        double[] y = f.operate(h);
        for (int i = 0; i < y.length; i++) y[i] += c[i];
        return y;
    }

    public Lben toLben() {
        int depth = a.size();
        int[] off = new int[depth + 1];
        for (int k = 0; k < depth; k++) off[k + 1] = off[k] + psi.get(k).length;
        int n = off[depth];
        double gamma = lipschitzBound();
        RealMatrix w = new Array2DRowRealMatrix(n, n);
        RealMatrix u = new Array2DRowRealMatrix(n, inputDim);
        double[] bb = new double[n], lam = new double[n];
        for (int k = 0; k < depth; k++) {
            double[] p = psi.get(k);
            RealMatrix pinv = MatrixUtils.createRealDiagonalMatrix(inverse(p));
            if (k == 0) {
                u.setSubMatrix(pinv.multiply(bm.get(0)).scalarMultiply(Math.sqrt(2)).getData(), 0, 0);
            } else {
                RealMatrix blk = pinv.multiply(bm.get(k)).multiply(a.get(k - 1).transpose())
                        .multiply(MatrixUtils.createRealDiagonalMatrix(psi.get(k - 1))).scalarMultiply(2);
                w.setSubMatrix(blk.getData(), off[k], off[k - 1]);
            }
            System.arraycopy(bias.get(k), 0, bb, off[k], p.length);
            for (int i = 0; i < p.length; i++) lam[off[k] + i] = gamma * p[i] * p[i];
        }
        RealMatrix g = new Array2DRowRealMatrix(f.getRowDimension(), n);
        RealMatrix last = f.multiply(a.get(depth - 1).transpose())
                .multiply(MatrixUtils.createRealDiagonalMatrix(psi.get(depth - 1))).scalarMultiply(Math.sqrt(2));
        g.setSubMatrix(last.getData(), 0, off[depth - 1]);
        return new Lben(w, u, bb, g, c, lam, gamma, null);
    }

    private static double[] inverse(double[] p) {
        double[] q = new double[p.length];
        for (int i = 0; i < p.length; i++) q[i] = 1 / p[i];
        return q;
    }
}
