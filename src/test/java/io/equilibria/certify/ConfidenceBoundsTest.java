package io.equilibria.certify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Checks the statistics against closed forms and the reference numbers of ALGORITHMS.md §4 / Cohen et al. */
class ConfidenceBoundsTest {

    @Test
    void allSuccessesGiveAlphaToTheOneOverN() {
        // Beta(n, 1) has cdf x^n, so its alpha quantile is alpha^(1/n) exactly
        long[] ns = {1, 2, 10, 100, 1000, 10_000, 100_000, 1_000_000};
        double[] alphas = {0.5, 0.05, 0.01, 0.001, 1e-6};
        double worst = 0;
        for (long n : ns) {
            for (double alpha : alphas) {
                double expected = Math.pow(alpha, 1.0 / n);
                double got = ConfidenceBounds.lowerConfidenceBound(n, n, alpha);
                double rel = Math.abs(got - expected) / expected;
                worst = Math.max(worst, rel);
                assertEquals(expected, got, 1e-10 * expected, "LCB(" + n + "," + n + "," + alpha + ")");
            }
        }
        System.out.printf("LCB(n,n,a) vs a^(1/n): worst relative error %.3g%n", worst);
    }

    @Test
    void referenceValues() {
        double lcb = ConfidenceBounds.lowerConfidenceBound(9000, 10_000, 0.001);
        double radius = 0.5 * ConfidenceBounds.normalQuantile(lcb);
        double z5 = ConfidenceBounds.normalQuantile(ConfidenceBounds.lowerConfidenceBound(100_000, 100_000, 0.001));
        double z4 = ConfidenceBounds.normalQuantile(ConfidenceBounds.lowerConfidenceBound(10_000, 10_000, 0.001));
        System.out.printf("LCB(9000,10000,1e-3)=%.10f radius(sigma=0.5)=%.10f Phi^-1 n=1e5: %.10f n=1e4: %.10f%n",
                lcb, radius, z5, z4);
        assertEquals(0.89041, lcb, 5e-6);
        assertEquals(0.6144, radius, 5e-5);
        assertEquals(3.8115, z5, 5e-5);
        assertEquals(3.1986, z4, 5e-5);
    }

    @Test
    void agreesWithScipyBetaQuantile() {
        // scipy.stats.beta.ppf(alpha, k, n - k + 1), scipy 1.17.1 (what statsmodels' proportion_confint "beta" uses)
        double[][] cases = {
            {9000, 10000, 1e-3, 0.8904097336749064},
            {550, 1000, 1e-3, 0.5006759600925578},
            {549, 1000, 1e-3, 0.4996730641422577},
            {1, 10, 0.05, 0.005116196891823701},
            {73, 100, 0.01, 0.6138733226723934},
            {88486, 100000, 1e-3, 0.8817099943255364},
        };
        for (double[] c : cases) {
            double got = ConfidenceBounds.lowerConfidenceBound((long) c[0], (long) c[1], c[2]);
            assertEquals(c[3], got, 1e-10 * c[3], "LCB(" + c[0] + "," + c[1] + "," + c[2] + ")");
        }
    }

    @Test
    void lowerBoundIsBelowTheEstimateAndZeroWithoutSuccesses() {
        assertEquals(0.0, ConfidenceBounds.lowerConfidenceBound(0, 100, 0.001));
        for (int k = 1; k <= 100; k++) {
            double lcb = ConfidenceBounds.lowerConfidenceBound(k, 100, 0.001);
            assertTrue(lcb > 0 && lcb < k / 100.0, "k=" + k + " lcb=" + lcb);
            // coverage identity: the binomial upper tail P(X >= k | p = LCB) equals alpha
            double tail = 1 - new org.apache.commons.math3.distribution.BinomialDistribution(null, 100, lcb)
                    .cumulativeProbability(k - 1);
            assertEquals(0.001, tail, 1e-9, "k=" + k);
        }
        assertThrows(IllegalArgumentException.class, () -> ConfidenceBounds.lowerConfidenceBound(5, 4, 0.01));
        assertThrows(IllegalArgumentException.class, () -> ConfidenceBounds.lowerConfidenceBound(1, 4, 0.0));
    }

    @Test
    void normalQuantileAndBinomialTest() {
        assertEquals(0.0, ConfidenceBounds.normalQuantile(0.5), 1e-15);
        assertEquals(1.959963984540054, ConfidenceBounds.normalQuantile(0.975), 1e-12);
        assertEquals(-3.090232306167813, ConfidenceBounds.normalQuantile(0.001), 1e-12);
        // exact values (rational arithmetic in Python): min(1, 2 * sum_{i <= min(k, n-k)} C(n, i) / 2^n)
        int[][] kn = {{60, 100}, {10, 100}, {520, 1000}, {5100, 10000}, {5500, 10000}, {50, 100}, {51, 101}, {3, 5}};
        double[] exact = {0.05688793364098079, 3.063290175437985e-17, 0.21744829320414094, 0.04658552770494739,
                1.5510640568246042e-23, 1.0, 1.0, 1.0};
        for (int i = 0; i < kn.length; i++) {
            double got = ConfidenceBounds.binomialTwoSidedPValue(kn[i][0], kn[i][1]);
            assertEquals(exact[i], got, 1e-9 * exact[i], "p-value " + kn[i][0] + " of " + kn[i][1]);
            // symmetric in k <-> n - k
            assertEquals(got, ConfidenceBounds.binomialTwoSidedPValue(kn[i][1] - kn[i][0], kn[i][1]), 1e-12 * got);
        }
        assertEquals(2.0 / 1024, ConfidenceBounds.binomialTwoSidedPValue(0, 10), 1e-15);
        assertEquals(2.0 / 1024, ConfidenceBounds.binomialTwoSidedPValue(10, 10), 1e-15);
        // why we do not call Commons Math's BinomialTest: it drops a term of the symmetric tail at p = 1/2
        double commons = new org.apache.commons.math3.stat.inference.BinomialTest().binomialTest(100, 60, 0.5,
                org.apache.commons.math3.stat.inference.AlternativeHypothesis.TWO_SIDED);
        System.out.printf("two-sided p-value 60/100: ours %.17g, Commons Math BinomialTest %.17g, exact %.17g%n",
                ConfidenceBounds.binomialTwoSidedPValue(60, 100), commons, exact[0]);
    }
}
