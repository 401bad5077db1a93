package io.equilibria.certify.lipschitz;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.DecompositionSolver;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Fully connected Lipschitz-bounded equilibrium network (LBEN), float64:
 * {@code z = σ(W z + U x + b)}, {@code y = G z + b_y}, with σ = ReLU on every neuron except those marked
 * linear (σ = identity; both are slope-restricted in [0,1], which is all the theory needs — the linear
 * neurons let an explicit network such as {@link Sll} be written as an LBEN exactly).
 *
 * <p><b>Why this is certifiable.</b> Revay, Wang &amp; Manchester, "Lipschitz Bounded Equilibrium Networks"
 * (arXiv:2010.01732, Theorem on Lipschitz bounds; code {@code mrevay/LipschitzBoundedEquilibriumModels}):
 * if there is a positive diagonal Λ with
 * <pre>
 *   H = [ 2Λ − ΛW − WᵀΛ − (1/γ) GᵀG    −ΛU ]
 *       [ −UᵀΛ                          γI  ]  ⪰ 0
 * </pre>
 * then the equilibrium exists, is unique, and x ↦ y is γ-Lipschitz in ℓ2. {@link #lmiMargin()} returns
 * λ_min(H). The <i>direct parameterisation</i> {@link #direct} makes H ⪰ 0 hold by construction:
 * W = I − Ψ((1/2γ)GᵀG + (1/2γ)ΛUUᵀΛ + VᵀV + εI + S − Sᵀ), Ψ = diag(e^ψ), Λ = Ψ⁻¹; then the Schur
 * complement of γI in H is 2VᵀV + 2εI ⪰ 0.
 *
 * <p><b>Solver.</b> The LMI implies Λ(I−W) + (I−W)ᵀΛ ≻ 0, i.e. I − W is strongly monotone in the
 * Λ-weighted inner product ⟨a, c⟩_Λ = aᵀΛc. The equilibrium solves 0 ∈ (I−W)z − (Ux+b) + N(z)
 * (N = normal cone of {z_i ≥ 0 on ReLU neurons}); resolvents do not depend on the metric, and because Λ is
 * diagonal the Λ-metric projection onto that cone is still ReLU (identity on linear neurons). So MonDEQ's
 * Peaceman–Rachford iteration, unchanged, is Peaceman–Rachford for a strongly monotone + maximal monotone
 * pair in the Λ-metric and converges for every α &gt; 0:
 * u½ = 2z − u; z½ = ((1+α)I − αW)⁻¹(u½ + α(Ux+b)); u = 2z½ − u½; z = σ(u).
 * This is also what the reference code does (its LBEN_Lip_FC module plugs into the MonDEQ splitting
 * solvers through init_inverse(α, β) = (αI + βW)⁻¹). A variant with the explicitly Λ-scaled operator
 * Λ(I−W) was tried: it converged too but needed 741 instead of 332 iterations on the test models.
 */
public final class Lben {

    private final RealMatrix w;
    private final RealMatrix u;
    private final double[] b;
    private final RealMatrix g;
    private final double[] by;
    private final double[] lambda;
    private final double gamma;
    private final boolean[] linear;

    private double alpha = 1.0;
    private DecompositionSolver prSolver;
    private int lastIterations;

    /**
     * An LBEN given by its matrices and a certificate Λ (diagonal entries {@code lambda}) for bound γ.
     * Nothing is checked here; call {@link #lmiMargin()}.
     *
     * @param linear neurons with σ = identity (null: all ReLU)
     */
    public Lben(RealMatrix w, RealMatrix u, double[] b, RealMatrix g, double[] by, double[] lambda,
                double gamma, boolean[] linear) {
        int n = w.getRowDimension();
        if (w.getColumnDimension() != n || u.getRowDimension() != n || b.length != n
                || g.getColumnDimension() != n || by.length != g.getRowDimension() || lambda.length != n) {
            throw new IllegalArgumentException("inconsistent LBEN dimensions");
        }
        if (!(gamma > 0)) throw new IllegalArgumentException("gamma must be > 0");
        this.w = w.copy();
        this.u = u.copy();
        this.b = b.clone();
        this.g = g.copy();
        this.by = by.clone();
        this.lambda = lambda.clone();
        this.gamma = gamma;
        this.linear = linear == null ? new boolean[n] : linear.clone();
    }

    /**
     * Direct parameterisation of Revay et al.: every choice of the free parameters (V, S, ψ, U, G, b, b_y)
     * and ε &gt; 0 gives a well-posed γ-Lipschitz LBEN.
     *
     * @param v any r×n matrix
     * @param s any n×n matrix (only S − Sᵀ matters)
     * @param psi n log-scales, Ψ = diag(e^ψ), Λ = Ψ⁻¹
     */
    public static Lben direct(RealMatrix v, RealMatrix s, double[] psi, RealMatrix u, double[] b,
                              RealMatrix g, double[] by, double eps, double gamma) {
        int n = psi.length;
        double[] lam = new double[n];
        for (int i = 0; i < n; i++) lam[i] = Math.exp(-psi[i]);
        RealMatrix lam_u = MatrixUtils.createRealDiagonalMatrix(lam).multiply(u);
        RealMatrix inner = g.transpose().multiply(g).scalarMultiply(1 / (2 * gamma))
                .add(lam_u.multiply(lam_u.transpose()).scalarMultiply(1 / (2 * gamma)))
                .add(v.transpose().multiply(v))
                .add(MatrixUtils.createRealIdentityMatrix(n).scalarMultiply(eps))
                .add(s).subtract(s.transpose());
        RealMatrix wm = MatrixUtils.createRealIdentityMatrix(n);
        for (int i = 0; i < n; i++) {
            double p = Math.exp(psi[i]);
            for (int j = 0; j < n; j++) wm.addToEntry(i, j, -p * inner.getEntry(i, j));
        }
        return new Lben(wm, u, b, g, by, lam, gamma, null);
    }

    /** Free parameters of the direct parameterisation (see {@link #direct}). */
    public record DirectParameters(RealMatrix v, RealMatrix s, double[] psi, RealMatrix u, double[] b,
                                   RealMatrix g, double[] by, double eps, double gamma) {}

    /** {@link #direct} from a parameter record, with optional linear (identity) neurons. */
    public static Lben direct(DirectParameters p, boolean[] linear) {
        Lben l = direct(p.v(), p.s(), p.psi(), p.u(), p.b(), p.g(), p.by(), p.eps(), p.gamma());
        return new Lben(l.w, l.u, l.b, l.g, l.by, l.lambda, l.gamma, linear);
    }

    /**
     * Inverse of the direct parameterisation, as Havens et al. initialise their LBEN from an SLL
     * (dense_deq.py): with Ψ = Λ⁻¹ and M = Λ(I−W) − (1/2γ)GᵀG − (1/2γ)ΛUUᵀΛ, take ε = 0, V = (sym M)^{1/2}
     * (symmetric square root by eigen-decomposition) and S = (M − Mᵀ)/4, so VᵀV + S − Sᵀ = M. It exists exactly
     * when sym M ⪰ 0, which is the LBEN inequality again (2·sym M is the Schur complement of γI in H);
     * eigenvalues of sym M below 0 are clipped, and their most negative value is returned in the record's
     * eps field as a negative number (0 when none).
     */
    public DirectParameters toDirect() {
        int n = stateDim();
        RealMatrix lam = MatrixUtils.createRealDiagonalMatrix(lambda);
        RealMatrix lu = lam.multiply(u);
        RealMatrix m = lam.multiply(MatrixUtils.createRealIdentityMatrix(n).subtract(w))
                .subtract(g.transpose().multiply(g).scalarMultiply(1 / (2 * gamma)))
                .subtract(lu.multiply(lu.transpose()).scalarMultiply(1 / (2 * gamma)));
        RealMatrix sym = m.add(m.transpose()).scalarMultiply(0.5);
        EigenDecomposition ed = new EigenDecomposition(sym);
        double[] ev = ed.getRealEigenvalues();
        double worst = 0;
        double[] root = new double[n];
        for (int i = 0; i < n; i++) {
            worst = Math.min(worst, ev[i]);
            root[i] = Math.sqrt(Math.max(0, ev[i]));
        }
        RealMatrix q = ed.getV();
        RealMatrix v = q.multiply(MatrixUtils.createRealDiagonalMatrix(root)).multiply(q.transpose());
        RealMatrix s = m.subtract(m.transpose()).scalarMultiply(0.25);
        double[] psi = new double[n];
        for (int i = 0; i < n; i++) psi[i] = -Math.log(lambda[i]);
        return new DirectParameters(v, s, psi, u.copy(), b.clone(), g.copy(), by.clone(), worst, gamma);
    }

    /** Which neurons are linear (σ = identity). */
    public boolean[] linear() { return linear.clone(); }

    public int stateDim() { return w.getRowDimension(); }
    public int inputDim() { return u.getColumnDimension(); }
    public int outputDim() { return g.getRowDimension(); }
    public double gamma() { return gamma; }
    public RealMatrix w() { return w.copy(); }
    public RealMatrix u() { return u.copy(); }
    public RealMatrix g() { return g.copy(); }
    public double[] lambda() { return lambda.clone(); }
    /** Iterations used by the last {@link #equilibrium} call. */
    public int lastIterations() { return lastIterations; }

    /** Step size α of the Peaceman–Rachford solver (any α &gt; 0 converges; default 1). */
    public void setAlpha(double alpha) {
        if (!(alpha > 0)) throw new IllegalArgumentException("alpha must be > 0");
        this.alpha = alpha;
        this.prSolver = null;
    }

    private double sigma(int i, double v) { return linear[i] ? v : Math.max(0, v); }

    /** Equilibrium z*(x) until step and fixed-point residual are both ≤ {@code tol}·(1 + ‖z‖). */
    public double[] equilibrium(double[] x, double tol, int maxIter) {
        int n = stateDim();
        if (prSolver == null) {
            RealMatrix m = MatrixUtils.createRealIdentityMatrix(n).subtract(w);
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m.multiplyEntry(i, j, alpha);
            for (int i = 0; i < n; i++) m.addToEntry(i, i, 1);
            prSolver = new LUDecomposition(m).getSolver();
        }
        double[] c = u.operate(x);
        for (int i = 0; i < n; i++) c[i] = alpha * (c[i] + b[i]);
        double[] z = new double[n];
        double[] uu = new double[n];
        double[] rhs = new double[n];
        for (int it = 1; it <= maxIter; it++) {
            for (int i = 0; i < n; i++) rhs[i] = 2 * z[i] - uu[i] + c[i];
            double[] zh = prSolver.solve(new ArrayRealVector(rhs, false)).toArray();
            double diff = 0, norm = 0;
            for (int i = 0; i < n; i++) {
                double uhalf = 2 * z[i] - uu[i];
                uu[i] = 2 * zh[i] - uhalf;
                double zn = sigma(i, uu[i]);
                diff += (zn - z[i]) * (zn - z[i]);
                norm += zn * zn;
                z[i] = zn;
            }
            // stop on the true fixed-point residual, checked once the steps are small (a slow contraction
            // makes the step much smaller than the residual)
            if (Math.sqrt(diff) <= tol * (1 + Math.sqrt(norm))
                    && residual(x, z) <= tol * (1 + Math.sqrt(norm))) {
                lastIterations = it;
                return z;
            }
        }
        lastIterations = maxIter;
        throw new IllegalStateException("LBEN Peaceman-Rachford did not converge in " + maxIter + " iterations");
    }

    /** Equilibrium to 1e-12. */
    public double[] equilibrium(double[] x) { return equilibrium(x, 1e-12, 200_000); }

    /** ‖z − σ(Wz + Ux + b)‖₂, the fixed-point residual. */
    public double residual(double[] x, double[] z) {
        double[] v = w.operate(z);
        double[] ux = u.operate(x);
        double r = 0;
        for (int i = 0; i < z.length; i++) {
            double d = z[i] - sigma(i, v[i] + ux[i] + b[i]);
            r += d * d;
        }
        return Math.sqrt(r);
    }

    /** Output y = G z*(x) + b_y. */
    public double[] forward(double[] x) {
        double[] y = g.operate(equilibrium(x));
        for (int i = 0; i < y.length; i++) y[i] += by[i];
        return y;
    }

    /** The symmetric matrix H of the LBEN inequality (see class Javadoc). */
    public RealMatrix lmiMatrix() {
        int n = stateDim(), d = inputDim();
        RealMatrix lw = MatrixUtils.createRealDiagonalMatrix(lambda).multiply(w);
        RealMatrix tl = MatrixUtils.createRealDiagonalMatrix(lambda).scalarMultiply(2)
                .subtract(lw).subtract(lw.transpose())
                .subtract(g.transpose().multiply(g).scalarMultiply(1 / gamma));
        RealMatrix lu = MatrixUtils.createRealDiagonalMatrix(lambda).multiply(u);
        RealMatrix h = new Array2DRowRealMatrix(n + d, n + d);
        h.setSubMatrix(tl.getData(), 0, 0);
        h.setSubMatrix(lu.scalarMultiply(-1).getData(), 0, n);
        h.setSubMatrix(lu.transpose().scalarMultiply(-1).getData(), n, 0);
        for (int i = 0; i < d; i++) h.setEntry(n + i, n + i, gamma);
        // symmetrise exactly so EigenDecomposition takes the symmetric path
        return h.add(h.transpose()).scalarMultiply(0.5);
    }

    /**
     * Smallest eigenvalue of the LBEN matrix H; ≥ 0 (up to rounding, say ≥ −1e-9) certifies that this model
     * is γ-Lipschitz with the stored Λ. The paper states the inequality strictly, which also gives
     * well-posedness; the exact conversions of explicit networks ({@link Sll}, {@link Aol}, {@link Sandwich})
     * sit on the boundary (margin ≈ 0), where the bound still follows from the same quadratic-form argument
     * and well-posedness holds because their W is nilpotent (block strictly lower triangular).
     */
    public double lmiMargin() {
        double[] ev = new EigenDecomposition(lmiMatrix()).getRealEigenvalues();
        double min = Double.POSITIVE_INFINITY;
        for (double e : ev) min = Math.min(min, e);
        return min;
    }

    /**
     * Smallest eigenvalue of the Schur complement of γI in H, 2Λ − ΛW − WᵀΛ − (1/γ)GᵀG − (1/γ)ΛUUᵀΛ (n×n rather than
     * (n+d)×(n+d), so it is cheap for image inputs). Because the γI block is positive definite, H ⪰ 0 exactly when this
     * is ≥ 0; its value is the margin in the state block.
     */
    public double schurMargin() {
        RealMatrix lam = MatrixUtils.createRealDiagonalMatrix(lambda);
        RealMatrix lw = lam.multiply(w);
        RealMatrix lu = lam.multiply(u);
        RealMatrix s = lam.scalarMultiply(2).subtract(lw).subtract(lw.transpose())
                .subtract(g.transpose().multiply(g).scalarMultiply(1 / gamma))
                .subtract(lu.multiply(lu.transpose()).scalarMultiply(1 / gamma));
        s = s.add(s.transpose()).scalarMultiply(0.5);
        double min = Double.POSITIVE_INFINITY;
        for (double e : new EigenDecomposition(s).getRealEigenvalues()) min = Math.min(min, e);
        return min;
    }

    /**
     * The local Lipschitz constant at x: the spectral norm of the Jacobian of x ↦ y, J = G (I − DW)⁻¹ D U, D the
     * activation slopes at the equilibrium (1 on linear neurons). The network is piecewise linear, so the supremum of
     * this over x is its true Lipschitz constant; any value found is a lower bound and must not exceed γ.
     */
    public double jacobianNorm(double[] x) {
        int n = stateDim();
        double[] z = equilibrium(x);
        double[] pre = w.operate(z);
        double[] ux = u.operate(x);
        RealMatrix m = MatrixUtils.createRealIdentityMatrix(n);
        RealMatrix du = u.copy();
        for (int i = 0; i < n; i++) {
            double d = linear[i] || pre[i] + ux[i] + b[i] > 0 ? 1 : 0;
            for (int j = 0; j < n; j++) m.addToEntry(i, j, -d * w.getEntry(i, j));
            if (d == 0) for (int j = 0; j < du.getColumnDimension(); j++) du.setEntry(i, j, 0);
        }
        // J = ((I − DW)⁻ᵀ Gᵀ)ᵀ (D U): a solve with one right-hand side per output instead of one per input
        RealMatrix left = new LUDecomposition(m.transpose()).getSolver().solve(g.transpose()).transpose();
        RealMatrix j = left.multiply(du);
        double max = 0;
        for (double e : new EigenDecomposition(j.multiply(j.transpose())).getRealEigenvalues()) max = Math.max(max, e);
        return Math.sqrt(max);
    }
}
