package io.equilibria.gp;

import org.apache.commons.math3.analysis.integration.gauss.GaussIntegrator;
import org.apache.commons.math3.analysis.integration.gauss.GaussIntegratorFactory;
import org.apache.commons.math3.special.Erf;

import java.util.function.DoubleUnaryOperator;

/**
 * Activations φ of a wide DEQ and their Gaussian expectation V_φ(K)_ij = E[φ(u)φ(v)], (u, v) ~ N(0, [[K_ii, K_ij],
 * [K_ij, K_jj]]), the map whose fixed point is the DEQ's limiting kernel (Gao et al., NeurIPS 2023). Closed forms for
 * ReLU (the arc-cosine kernel of Cho &amp; Saul) and erf (Williams 1997); tanh by two-dimensional Gauss–Hermite quadrature
 * (nodes and weights from Commons Math), which is also available for every activation to check the closed forms.
 */
public enum Activation {
    RELU(v -> Math.max(0, v)),
    ERF(Erf::erf),
    TANH(Math::tanh);

    private final DoubleUnaryOperator phi;

    Activation(DoubleUnaryOperator phi) {
        this.phi = phi;
    }

    public double apply(double v) {
        return phi.applyAsDouble(v);
    }

    /** E[φ(u)φ(v)] for the 2×2 covariance (kii, kij, kjj): closed form where one exists, quadrature otherwise. */
    public double expectation(double kii, double kij, double kjj) {
        return switch (this) {
            case RELU -> {
                double s = Math.sqrt(kii * kjj);
                if (s == 0) yield 0;
                double c = Math.max(-1, Math.min(1, kij / s));
                yield s * (Math.sqrt(1 - c * c) + (Math.PI - Math.acos(c)) * c) / (2 * Math.PI);
            }
            case ERF -> 2 / Math.PI * Math.asin(2 * kij / Math.sqrt((1 + 2 * kii) * (1 + 2 * kjj)));
            case TANH -> quadrature(kii, kij, kjj, DEFAULT_POINTS);
        };
    }

    static final int DEFAULT_POINTS = 40;
    /** Caches the Hermite rules it computes (synchronised): computing the nodes anew per entry dominated the tanh kernel. */
    private static final GaussIntegratorFactory RULES = new GaussIntegratorFactory();

    /**
     * E[φ(u)φ(v)] by a product Gauss–Hermite rule with {@code points}² nodes: u = √(2 kii)·s,
     * v = √2·(ρ s √kjj + √(1−ρ²) √kjj t) with ρ = kij/√(kii kjj), weights for ∫∫ e^{−s²−t²}, divided by π.
     */
    public double quadrature(double kii, double kij, double kjj, int points) {
        if (kii < kjj) return quadrature(kjj, kij, kii, points); // same value either way up to the rule's error: make it exactly symmetric
        GaussIntegrator rule = RULES.hermite(points);
        double si = Math.sqrt(kii), sj = Math.sqrt(kjj);
        double rho = si * sj == 0 ? 0 : Math.max(-1, Math.min(1, kij / (si * sj)));
        double rest = Math.sqrt(Math.max(0, 1 - rho * rho));
        double sum = 0;
        for (int a = 0; a < rule.getNumberOfPoints(); a++) {
            double s = rule.getPoint(a), ws = rule.getWeight(a);
            double u = Math.sqrt(2) * si * s;
            double fu = apply(u);
            for (int b = 0; b < rule.getNumberOfPoints(); b++) {
                double t = rule.getPoint(b);
                double v = Math.sqrt(2) * sj * (rho * s + rest * t);
                sum += ws * rule.getWeight(b) * fu * apply(v);
            }
        }
        return sum / Math.PI;
    }
}
