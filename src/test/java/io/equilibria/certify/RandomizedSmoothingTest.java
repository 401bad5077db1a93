package io.equilibria.certify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** PREDICT and CERTIFY on fake classifiers whose smoothed behaviour is known exactly. */
class RandomizedSmoothingTest {

    /** Ignores its input and returns a prescribed label sequence, so the counts are exactly controlled. */
    static final class ScriptedClassifier implements Classifier {
        private final int[] script;
        private final int length;
        private int next;
        final List<Integer> batchSizes = new ArrayList<>();

        ScriptedClassifier(int[] script, int length) {
            this.script = script;
            this.length = length;
        }

        @Override public int numClasses() { return 3; }
        @Override public int[] inputShape() { return new int[] {1, 1, length}; }
        @Override public int[] classify(float[][] batch) {
            batchSizes.add(batch.length);
            int[] labels = new int[batch.length];
            for (int i = 0; i < batch.length; i++) {
                labels[i] = script[next++];
            }
            return labels;
        }
    }

    /** f(x) = 1 if w·x > 0 else 0: the smoothed classifier's exact radius at x is |w·x| / |w| (Cohen et al.). */
    static final class LinearClassifier implements Classifier {
        final double[] w;

        LinearClassifier(double[] w) { this.w = w; }

        @Override public int numClasses() { return 2; }
        @Override public int[] inputShape() { return new int[] {w.length}; }
        @Override public int[] classify(float[][] batch) {
            int[] labels = new int[batch.length];
            for (int i = 0; i < batch.length; i++) {
                double s = 0;
                for (int j = 0; j < w.length; j++) {
                    s += w[j] * batch[i][j];
                }
                labels[i] = s > 0 ? 1 : 0;
            }
            return labels;
        }
    }

    /** A random direction w in R^dim and a random point x with signed distance d from the plane w·x = 0. */
    private static Object[] linearProblem(int dim, double d, long seed) {
        Random r = new Random(seed);
        double[] w = new double[dim];
        double norm = 0;
        for (int j = 0; j < dim; j++) {
            w[j] = r.nextGaussian();
            norm += w[j] * w[j];
        }
        norm = Math.sqrt(norm);
        double[] x = new double[dim];
        double dot = 0;
        for (int j = 0; j < dim; j++) {
            x[j] = r.nextGaussian();
            dot += x[j] * w[j] / norm;
        }
        float[] xf = new float[dim];
        for (int j = 0; j < dim; j++) {
            xf[j] = (float) (x[j] + (d - dot) * w[j] / norm);
        }
        double actual = 0; // the distance after rounding to float
        for (int j = 0; j < dim; j++) {
            actual += w[j] * xf[j] / norm;
        }
        return new Object[] {new LinearClassifier(w), xf, actual};
    }

    private static int[] script(int n0, int n, int nA) {
        int[] s = new int[n0 + n];
        for (int i = 0; i < n0; i++) {
            s[i] = 2; // selection: all class 2
        }
        for (int i = 0; i < n; i++) {
            s[n0 + i] = i < nA ? 2 : (i % 2); // estimation: nA of class 2, the rest split over 0 and 1
        }
        return s;
    }

    @Test
    void decisionRuleAtOneHalf() {
        assertFalse(RandomizedSmoothing.abstains(0.5));
        assertTrue(RandomizedSmoothing.abstains(Math.nextDown(0.5)));
        assertEquals(0.0, RandomizedSmoothing.radius(0.5, 0.7), 1e-15);
    }

    @Test
    void abstainsExactlyWhenTheLowerBoundIsBelowOneHalf() {
        int n0 = 10, n = 1000;
        double alpha = 0.001, sigma = 0.5;
        int kStar = 0; // smallest count whose lower bound reaches 1/2
        while (ConfidenceBounds.lowerConfidenceBound(kStar, n, alpha) < 0.5) {
            kStar++;
        }
        System.out.printf("n=%d alpha=%g: first certifying count %d, LCB %.6f; one less gives LCB %.6f%n", n, alpha,
                kStar, ConfidenceBounds.lowerConfidenceBound(kStar, n, alpha),
                ConfidenceBounds.lowerConfidenceBound(kStar - 1, n, alpha));
        assertTrue(kStar > n / 2 && kStar < n, "kStar=" + kStar);
        for (int nA : new int[] {0, n / 2, kStar - 2, kStar - 1, kStar, kStar + 1, n}) {
            ScriptedClassifier f = new ScriptedClassifier(script(n0, n, nA), 4);
            RandomizedSmoothing.Certificate c = new RandomizedSmoothing(f, sigma)
                    .certify(new float[4], n0, n, alpha, 64, 1L);
            assertEquals(2, c.selectedLabel());
            assertEquals(nA, c.nA());
            double pA = ConfidenceBounds.lowerConfidenceBound(nA, n, alpha);
            assertEquals(pA, c.pA(), 0.0);
            if (nA < kStar) {
                assertTrue(c.abstained(), "nA=" + nA);
                assertEquals(RandomizedSmoothing.ABSTAIN, c.label());
                assertEquals(0.0, c.radius());
            } else {
                assertEquals(2, c.label(), "nA=" + nA);
                assertEquals(sigma * ConfidenceBounds.normalQuantile(pA), c.radius(), 1e-15);
                assertTrue(c.radius() >= 0);
            }
        }
    }

    @Test
    void predictAbstainsExactlyWhenTheBinomialTestFails() {
        int n = 1000;
        double alpha = 0.001;
        // counts: class 2 gets n1, class 0 / 1 share the rest; runner-up is the larger of those
        int answered = 0, abstained = 0;
        for (int n1 : new int[] {300, 340, 350, 380, 400, 500, 520, 560, 600, 700}) {
            int[] s = script(0, n, n1);
            ScriptedClassifier f = new ScriptedClassifier(s, 4);
            RandomizedSmoothing.Prediction p = new RandomizedSmoothing(f, 0.25).predict(new float[4], n, alpha, 100, 7L);
            int rest0 = (n - n1 + 1) / 2, rest1 = (n - n1) / 2;
            int top = n1 >= rest0 ? 2 : 0;
            int a = Math.max(n1, rest0), b = n1 >= rest0 ? rest0 : Math.max(n1, rest1);
            assertEquals(top, p.top(), "n1=" + n1);
            assertEquals(a, p.n1());
            assertEquals(b, p.n2());
            double pValue = ConfidenceBounds.binomialTwoSidedPValue(a, a + b);
            assertEquals(pValue, p.pValue(), 0.0);
            assertEquals(pValue <= alpha ? top : RandomizedSmoothing.ABSTAIN, p.label(), "n1=" + n1);
            if (p.abstained()) {
                abstained++;
            } else {
                answered++;
            }
        }
        assertTrue(answered >= 3 && abstained >= 3, "both branches: answered " + answered + ", abstained " + abstained);
    }

    @Test
    void batchesCoverExactlyN0PlusNSamples() {
        ScriptedClassifier f = new ScriptedClassifier(new int[32], 3);
        new RandomizedSmoothing(f, 1.0).certify(new float[3], 7, 25, 0.01, 10, 3L);
        assertEquals(List.of(7, 10, 10, 5), f.batchSizes);
        assertThrows(IllegalArgumentException.class,
                () -> new RandomizedSmoothing(f, 1.0).certify(new float[2], 7, 25, 0.01, 10, 3L));
    }

    @Test
    void noiseIsGaussianWithStandardDeviationSigma() {
        double sigma = 0.3;
        float[] x = {1f, -2f, 0.5f, 4f};
        double[] sum = new double[1], sumSq = new double[1];
        long[] count = new long[1];
        Classifier recorder = new Classifier() {
            @Override public int numClasses() { return 2; }
            @Override public int[] inputShape() { return new int[] {4}; }
            @Override public int[] classify(float[][] batch) {
                for (float[] row : batch) {
                    for (int j = 0; j < 4; j++) {
                        double e = row[j] - x[j];
                        sum[0] += e;
                        sumSq[0] += e * e;
                        count[0]++;
                    }
                }
                return new int[batch.length];
            }
        };
        new RandomizedSmoothing(recorder, sigma).predict(x, 50_000, 0.01, 500, 11L);
        double mean = sum[0] / count[0];
        double sd = Math.sqrt(sumSq[0] / count[0] - mean * mean);
        assertEquals(0.0, mean, 5 * sigma / Math.sqrt(count[0]));
        assertEquals(sigma, sd, 0.005 * sigma);
    }

    @Test
    void constantClassifierCertifiesSigmaTimesPhiInverseOfAlphaToTheOneOverN() {
        Classifier constant = new Classifier() {
            @Override public int numClasses() { return 10; }
            @Override public int[] inputShape() { return new int[] {1, 2, 2}; }
            @Override public int[] classify(float[][] batch) {
                int[] labels = new int[batch.length];
                java.util.Arrays.fill(labels, 7);
                return labels;
            }
        };
        double sigma = 0.5, alpha = 0.001;
        int n = 10_000;
        RandomizedSmoothing.Certificate c = new RandomizedSmoothing(constant, sigma)
                .certify(new float[4], 100, n, alpha, 1000, 5L);
        assertEquals(7, c.label());
        assertEquals(n, c.nA());
        assertEquals(100, c.selectionCounts()[7]);
        double expected = sigma * ConfidenceBounds.normalQuantile(Math.pow(alpha, 1.0 / n));
        assertEquals(expected, c.radius(), 1e-12);
        assertEquals(sigma * 3.1986, c.radius(), 5e-5);
    }

    @Test
    void seededRunsAreReproducibleAndSeedsDiffer() {
        Object[] problem = linearProblem(32, 0.05, 21L);
        RandomizedSmoothing rs = new RandomizedSmoothing((Classifier) problem[0], 0.25);
        float[] x = (float[]) problem[1];
        RandomizedSmoothing.Certificate a = rs.certify(x, 100, 2000, 0.001, 128, 42L);
        RandomizedSmoothing.Certificate b = rs.certify(x, 100, 2000, 0.001, 128, 42L);
        RandomizedSmoothing.Certificate other = rs.certify(x, 100, 2000, 0.001, 128, 43L);
        // the batch size only changes how samples are grouped, not which noise is drawn
        RandomizedSmoothing.Certificate rebatched = rs.certify(x, 100, 2000, 0.001, 77, 42L);
        assertArrayEquals(a.counts(), b.counts());
        assertArrayEquals(a.selectionCounts(), b.selectionCounts());
        assertEquals(a.radius(), b.radius(), 0.0);
        assertArrayEquals(a.counts(), rebatched.counts());
        assertFalse(java.util.Arrays.equals(a.counts(), other.counts()), "seeds 42 and 43 gave the same counts");
        assertEquals(rs.predict(x, 500, 0.01, 64, 9L).counts()[1], rs.predict(x, 500, 0.01, 64, 9L).counts()[1]);
    }

    @Test
    void linearClassifierCertifiesJustBelowTheTrueRadius() {
        double sigma = 0.25, alpha = 0.001;
        for (double d : new double[] {0.3, -0.15}) {
            Object[] problem = linearProblem(784, d, 5L);
            double distance = (double) problem[2];
            RandomizedSmoothing rs = new RandomizedSmoothing((Classifier) problem[0], sigma);
            RandomizedSmoothing.Certificate c = rs.certify((float[]) problem[1], 100, 100_000, alpha, 1000, 123L);
            System.out.printf("linear, distance %.6f, sigma %.2f, n=1e5: label %d, nA %d, pA %.6f, certified radius "
                    + "%.6f (gap %.4f sigma), %.2f s%n", distance, sigma, c.label(), c.nA(), c.pA(), c.radius(),
                    (Math.abs(distance) - c.radius()) / sigma, c.seconds());
            assertEquals(distance > 0 ? 1 : 0, c.label());
            assertTrue(c.radius() <= Math.abs(distance), "certified " + c.radius() + " > true " + distance);
            assertTrue(c.radius() >= Math.abs(distance) - 0.1 * sigma, "certified " + c.radius() + " too small");
            RandomizedSmoothing.Prediction p = rs.predict((float[]) problem[1], 10_000, alpha, 1000, 124L);
            assertEquals(distance > 0 ? 1 : 0, p.label());
        }
    }

    @Test
    void pointOnTheBoundaryMakesPredictAbstain() {
        int dim = 16;
        double[] w = new double[dim];
        w[0] = 1; // boundary x_0 = 0; a float x with x_0 = 0 lies exactly on it, so P(f(x + eps) = 1) = 1/2
        RandomizedSmoothing rs = new RandomizedSmoothing(new LinearClassifier(w), 0.5);
        float[] x = new float[dim];
        for (int j = 1; j < dim; j++) {
            x[j] = j * 0.1f;
        }
        int runs = 200, answered = 0, certified = 0;
        for (int seed = 0; seed < runs; seed++) {
            if (!rs.predict(x, 1000, 0.01, 250, seed).abstained()) {
                answered++;
            }
            if (!rs.certify(x, 20, 1000, 0.01, 250, 1000L + seed).abstained()) {
                certified++;
            }
        }
        System.out.printf("on the boundary, alpha=0.01, %d runs: PREDICT answered %d, CERTIFY certified %d%n",
                runs, answered, certified);
        // PREDICT answers with probability <= alpha here (expected <= 2 of 200)
        assertTrue(answered <= 10, "PREDICT answered " + answered + " of " + runs);
        assertTrue(certified <= 10, "CERTIFY certified " + certified + " of " + runs);
    }
}
