package io.equilibria.certify.lipschitz;

import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.DecompositionSolver;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * Fully connected monotone operator equilibrium network (Winston &amp; Kolter, NeurIPS 2020;
 * {@code locuslab/monotone_op_net}), float64: z = ReLU(W z + U x + b), y = G z + b_y with
 * W = (1−m) I − AᵀA + B − Bᵀ, so I − W ⪰ m I (strongly monotone) for any A, B: the equilibrium is unique.
 *
 * <p>Two splitting solvers of the paper, which must reach the same fixed point:
 * forward–backward z ← ReLU((1−α) z + α(W z + U x + b)) (converges for α &lt; 2m/‖I−W‖²) and
 * Peaceman–Rachford u½ = 2z − u; z½ = ((1+α)I − αW)⁻¹(u½ + α(Ux + b)); u = 2z½ − u½; z = ReLU(u)
 * (converges for any α &gt; 0).
 */
public final class MonDeq {

    private final RealMatrix a, bSkew, u, g;
    private final double[] b, by;
    private final double m;
    private final RealMatrix w;
    private int lastIterations;

    public MonDeq(RealMatrix a, RealMatrix bSkew, double m, RealMatrix u, double[] b, RealMatrix g, double[] by) {
        if (!(m > 0)) throw new IllegalArgumentException("m must be > 0");
        int n = a.getColumnDimension();
        this.a = a.copy();
        this.bSkew = bSkew.copy();
        this.m = m;
        this.u = u.copy();
        this.b = b.clone();
        this.g = g.copy();
        this.by = by.clone();
        this.w = MatrixUtils.createRealIdentityMatrix(n).scalarMultiply(1 - m)
                .subtract(a.transpose().multiply(a)).add(bSkew).subtract(bSkew.transpose());
    }

    public RealMatrix w() { return w.copy(); }
    public double m() { return m; }
    public int lastIterations() { return lastIterations; }

    private double[] injection(double[] x) {
        double[] c = u.operate(x);
        for (int i = 0; i < c.length; i++) c[i] += b[i];
        return c;
    }

    /** Largest step for which forward–backward provably converges: 2m / ‖I − W‖₂². */
    public double maxForwardBackwardStep() {
        int n = w.getRowDimension();
        double l = new SingularValueDecomposition(MatrixUtils.createRealIdentityMatrix(n).subtract(w)).getNorm();
        return 2 * m / (l * l);
    }

    public double[] solveForwardBackward(double[] x, double alpha, double tol, int maxIter) {
        double[] c = injection(x);
        int n = c.length;
        double[] z = new double[n];
        for (int it = 1; it <= maxIter; it++) {
            double[] wz = w.operate(z);
            double diff = 0, norm = 0;
            for (int i = 0; i < n; i++) {
                double zn = Math.max(0, (1 - alpha) * z[i] + alpha * (wz[i] + c[i]));
                diff += (zn - z[i]) * (zn - z[i]);
                norm += zn * zn;
                z[i] = zn;
            }
            if (Math.sqrt(diff) <= tol * (1 + Math.sqrt(norm)) && residual(x, z) <= tol * (1 + Math.sqrt(norm))) { lastIterations = it; return z; }
        }
        throw new IllegalStateException("forward-backward did not converge in " + maxIter + " iterations");
    }

    public double[] solvePeacemanRachford(double[] x, double alpha, double tol, int maxIter) {
        int n = w.getRowDimension();
        DecompositionSolver inv = new LUDecomposition(MatrixUtils.createRealIdentityMatrix(n)
                .scalarMultiply(1 + alpha).subtract(w.scalarMultiply(alpha))).getSolver();
        double[] c = injection(x);
        double[] z = new double[n], uu = new double[n], rhs = new double[n];
        for (int it = 1; it <= maxIter; it++) {
            for (int i = 0; i < n; i++) rhs[i] = 2 * z[i] - uu[i] + alpha * c[i];
            double[] zh = inv.solve(new ArrayRealVector(rhs, false)).toArray();
            double diff = 0, norm = 0;
            for (int i = 0; i < n; i++) {
                double uhalf = 2 * z[i] - uu[i];
                uu[i] = 2 * zh[i] - uhalf;
                double zn = Math.max(0, uu[i]);
                diff += (zn - z[i]) * (zn - z[i]);
                norm += zn * zn;
                z[i] = zn;
            }
            if (Math.sqrt(diff) <= tol * (1 + Math.sqrt(norm)) && residual(x, z) <= tol * (1 + Math.sqrt(norm))) { lastIterations = it; return z; }
        }
        throw new IllegalStateException("Peaceman-Rachford did not converge in " + maxIter + " iterations");
    }

    /** ‖z − ReLU(Wz + Ux + b)‖₂. */
    public double residual(double[] x, double[] z) {
        double[] wz = w.operate(z);
        double[] c = injection(x);
        double r = 0;
        for (int i = 0; i < z.length; i++) {
            double d = z[i] - Math.max(0, wz[i] + c[i]);
            r += d * d;
        }
        return Math.sqrt(r);
    }

    public double[] forward(double[] x) {
        double[] y = g.operate(solvePeacemanRachford(x, 1.0, 1e-12, 200_000));
        for (int i = 0; i < y.length; i++) y[i] += by[i];
        return y;
    }

    /**
     * Lipschitz bound ‖U‖₂‖G‖₂/m of a MonDEQ (Pabbaraju, Winston &amp; Kolter, ICLR 2021; used by Havens et al.).
     */
    public double lipschitzBound() {
        return new SingularValueDecomposition(u).getNorm() * new SingularValueDecomposition(g).getNorm() / m;
    }

    /**
     * The same network as an LBEN with the same Lipschitz constant γ = ‖U‖‖G‖/m (exact: W, U, b, G, b_y are
     * unchanged). Certificate Λ = (‖G‖/‖U‖) I: with Λ = λI the LBEN inequality's Schur complement is
     * 2λ(mI + AᵀA) − GᵀG/γ − λ²UUᵀ/γ ⪰ (2λm − ‖G‖²/γ − λ²‖U‖²/γ) I, which is ⪰ 0 for γ = ‖U‖‖G‖/m at the
     * minimising λ = ‖G‖/‖U‖ (Havens et al., "Exploiting connections between Lipschitz structures for
     * certifiably robust deep equilibrium models", NeurIPS 2023).
     */
    public Lben toLben() {
        int n = w.getRowDimension();
        double nu = new SingularValueDecomposition(u).getNorm();
        double ng = new SingularValueDecomposition(g).getNorm();
        double[] lam = new double[n];
        java.util.Arrays.fill(lam, ng / nu);
        return new Lben(w, u, b, g, by, lam, nu * ng / m, null);
    }
}
