package io.equilibria.certify;

import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.special.Beta;

/**
 * The three statistics randomized smoothing needs (Cohen, Rosenfeld, Kolter, "Certified Adversarial Robustness
 * via Randomized Smoothing", ICML 2019; reference code {@code locuslab/smoothing}, {@code code/core.py}), all from
 * Commons Math (distributions and the regularized incomplete beta function) rather than hand-rolled numerics:
 * <ul>
 *   <li>{@link #lowerConfidenceBound}: the exact one-sided Clopper–Pearson lower bound on a binomial proportion,
 *       the same number as {@code proportion_confint(k, n, alpha=2*alpha, method="beta")[0]} in core.py;</li>
 *   <li>{@link #normalQuantile}: Φ⁻¹, which turns the bound into a radius;</li>
 *   <li>{@link #binomialTwoSidedPValue}: the two-sided binomial test at p = 1/2 that PREDICT uses to decide
 *       whether to abstain ({@code binom_test(n1, n1 + n2, p=0.5)} in core.py).</li>
 * </ul>
 * Commons Math's default inverse-cdf accuracy for {@link BetaDistribution} is 1e-9 <em>absolute</em>, which is all
 * it promises (measured: 8e-11 relative error for LCB(10⁶, 10⁶, 0.001)); we ask for {@value #INVERSE_CDF_ACCURACY}
 * (measured: ≤ 2e-16 there), and the tests check LCB(n, n, α) = α^{1/n} to 1e-10 relative and scipy's
 * {@code beta.ppf} to 1e-10 relative.
 */
public final class ConfidenceBounds {

    /** Absolute accuracy requested from the Brent solver behind {@link BetaDistribution#inverseCumulativeProbability}. */
    public static final double INVERSE_CDF_ACCURACY = 1e-14;

    private static final NormalDistribution STANDARD_NORMAL = new NormalDistribution(null, 0.0, 1.0);

    private ConfidenceBounds() {
    }

    /**
     * One-sided (1 − alpha) Clopper–Pearson lower confidence bound on p given k successes in n trials:
     * the alpha quantile of Beta(k, n − k + 1), and 0 when k = 0. P(LCB ≤ p) ≥ 1 − alpha for every p.
     */
    public static double lowerConfidenceBound(long k, long n, double alpha) {
        if (n < 1 || k < 0 || k > n) {
            throw new IllegalArgumentException("need 0 <= k <= n and n >= 1, got k=" + k + ", n=" + n);
        }
        checkAlpha(alpha);
        if (k == 0) {
            return 0.0;
        }
        // null generator: we never sample, and this avoids seeding a Well19937c per call
        BetaDistribution beta = new BetaDistribution(null, k, n - k + 1, INVERSE_CDF_ACCURACY);
        return beta.inverseCumulativeProbability(alpha);
    }

    /**
     * The same bound for a real-valued success count k ∈ [0, n] (Beta(k, n − k + 1) is defined for real k > 0): SRS
     * discounts its count N_A by the mismatch bound and needs the bound at N_A(1 − p̄_m). Equals the integer version
     * at integer k.
     */
    public static double lowerConfidenceBound(double k, double n, double alpha) {
        if (!(n > 0) || !(k >= 0) || k > n) {
            throw new IllegalArgumentException("need 0 <= k <= n and n > 0, got k=" + k + ", n=" + n);
        }
        checkAlpha(alpha);
        if (k == 0) {
            return 0.0;
        }
        return new BetaDistribution(null, k, n - k + 1, INVERSE_CDF_ACCURACY).inverseCumulativeProbability(alpha);
    }

    /** Standard normal quantile Φ⁻¹(p), p in [0, 1] (±∞ at the ends). */
    public static double normalQuantile(double p) {
        return STANDARD_NORMAL.inverseCumulativeProbability(p);
    }

    /**
     * Two-sided exact binomial test p-value of k successes in n trials against success probability 1/2:
     * min(1, 2 P(X &le; min(k, n − k))), X ~ Bin(n, 1/2), the sum of the probabilities of all outcomes no more
     * likely than k (what scipy's {@code binomtest(k, n, 0.5)} returns). The tail is the regularized incomplete
     * beta function I_{1/2}(n − m, m + 1), evaluated directly so small p-values keep their relative accuracy.
     * <p>
     * Not Commons Math's {@code BinomialTest(TWO_SIDED)}: in 3.6.1 it compares pmf(k) and pmf(n − k) with
     * {@code ==}, and when they differ in the last bit it drops one of them, e.g. it gives 0.04604 instead of
     * 0.05689 for 60 of 100 — too small, so PREDICT would answer where it should abstain (see the test).
     */
    public static double binomialTwoSidedPValue(int k, int n) {
        if (n < 1 || k < 0 || k > n) {
            throw new IllegalArgumentException("need 0 <= k <= n and n >= 1, got k=" + k + ", n=" + n);
        }
        int m = Math.min(k, n - k);
        if (2 * (long) m >= n - 1) {
            return 1.0; // k is (one of) the most likely outcome(s): both tails together cover everything
        }
        double tail = Beta.regularizedBeta(0.5, n - m, m + 1.0); // P(X <= m) for X ~ Bin(n, 1/2)
        return Math.min(1.0, 2.0 * tail);
    }

    static void checkAlpha(double alpha) {
        if (!(alpha > 0.0 && alpha < 1.0)) {
            throw new IllegalArgumentException("alpha must be in (0, 1), got " + alpha);
        }
    }
}
