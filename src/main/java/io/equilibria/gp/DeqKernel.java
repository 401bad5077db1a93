package io.equilibria.gp;

/**
 * The limiting (neural-network Gaussian-process) kernel of an infinitely wide DEQ z = φ(Wz + Ux), W_ij ~ N(0, σ_w²/n),
 * U_ij ~ N(0, σ_u²/d) (Gao et al., "Wide Neural Networks as Gaussian Processes: Lessons from Deep Equilibrium Models",
 * NeurIPS 2023): the fixed point of K ← σ_w² V_φ(K) + σ_u² K₀ with K₀ = XXᵀ/d, iterated from K₀ until the largest
 * entrywise change is below the tolerance. For ReLU the diagonal converges when σ_w² &lt; 2, to
 * q* = σ_u²‖x‖²/d / (1 − σ_w²/2).
 */
public final class DeqKernel {
    private final Activation phi;
    private final double sigmaW, sigmaU, tolerance;
    private final int maxIterations;
    private int lastIterations;

    public DeqKernel(Activation phi, double sigmaW, double sigmaU, double tolerance, int maxIterations) {
        if (!(sigmaW >= 0) || !(sigmaU > 0) || !(tolerance > 0) || maxIterations < 1) throw new IllegalArgumentException("bad kernel settings");
        this.phi = phi;
        this.sigmaW = sigmaW;
        this.sigmaU = sigmaU;
        this.tolerance = tolerance;
        this.maxIterations = maxIterations;
    }

    public int lastIterations() { return lastIterations; }

    /** K₀ = XXᵀ/d for inputs X (rows). */
    public static double[][] inputKernel(double[][] x) {
        int n = x.length, d = x[0].length;
        double[][] k = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = 0;
                for (int t = 0; t < d; t++) s += x[i][t] * x[j][t];
                k[i][j] = k[j][i] = s / d;
            }
        }
        return k;
    }

    /** K* for the rows of x. */
    public double[][] kernel(double[][] x) {
        return fixedPoint(inputKernel(x));
    }

    /** K* from K₀ (any positive semi-definite input kernel). */
    public double[][] fixedPoint(double[][] k0) {
        int n = k0.length;
        double[][] k = new double[n][];
        for (int i = 0; i < n; i++) k[i] = k0[i].clone();
        double su2 = sigmaU * sigmaU, sw2 = sigmaW * sigmaW;
        for (int it = 1; it <= maxIterations; it++) {
            double[][] next = new double[n][n];
            double change = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j <= i; j++) {
                    double v = sw2 * phi.expectation(k[i][i], k[i][j], k[j][j]) + su2 * k0[i][j];
                    next[i][j] = next[j][i] = v;
                    change = Math.max(change, Math.abs(v - k[i][j]));
                }
            }
            k = next;
            if (change <= tolerance) {
                lastIterations = it;
                return k;
            }
            if (!Double.isFinite(change)) break;
        }
        throw new IllegalStateException("kernel iteration did not converge in " + maxIterations
                + " steps (sigma_w too large for " + phi + "?)");
    }
}
