package io.equilibria.certify;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Randomized smoothing (Cohen, Rosenfeld, Kolter, "Certified Adversarial Robustness via Randomized Smoothing",
 * ICML 2019): the smoothed classifier g(x) = argmax_c P(f(x + ε) = c), ε ~ N(0, σ² I), is provably constant
 * within an L2 ball of radius σ Φ⁻¹(p_A) around x whenever the top class has probability p_A ≥ 1/2. This class
 * implements the paper's Monte-Carlo PREDICT and CERTIFY as in {@code locuslab/smoothing}, {@code code/core.py}:
 * <ul>
 *   <li>CERTIFY(x, n0, n, α): n0 noisy samples select ĉ_A (the most frequent label); n <em>fresh</em> samples
 *       count n_A = #{f = ĉ_A} (the selection samples are not reused, or the bound would not hold);
 *       p_A = one-sided Clopper–Pearson lower bound LCB(n_A, n, α); abstain iff p_A &lt; 1/2, else radius
 *       σ Φ⁻¹(p_A). With probability ≥ 1 − α a non-abstaining answer is g(x) and g is constant in that ball.</li>
 *   <li>PREDICT(x, n, α): top two counts n1 ≥ n2; answer the top label only if the two-sided binomial test of n1
 *       successes in n1 + n2 trials at 1/2 has p ≤ α, else abstain; the answer differs from g(x) with
 *       probability ≤ α.</li>
 * </ul>
 * Noise is drawn ({@link GaussianNoise}) from a {@link SplittableRandom} seeded per call, so a call is reproducible from its seed alone,
 * independent of what ran before (batches, order of images, threads); selection and estimation samples use two
 * independent split streams. Noise is generated in double and added to the float input. Ties in the counts go to
 * the smallest label (numpy's argmax does the same for CERTIFY).
 */
public final class RandomizedSmoothing {

    /** Label returned when the procedure abstains. */
    public static final int ABSTAIN = -1;

    private final Classifier base;
    private final double sigma;

    /**
     * @param base  base classifier f
     * @param sigma noise standard deviation σ &gt; 0, in the classifier's input units
     */
    public RandomizedSmoothing(Classifier base, double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("sigma must be positive and finite, got " + sigma);
        }
        this.base = base;
        this.sigma = sigma;
    }

    public double sigma() {
        return sigma;
    }

    /**
     * Outcome of CERTIFY.
     *
     * @param label           ĉ_A, or {@link #ABSTAIN}
     * @param radius          certified L2 radius σ Φ⁻¹(p_A) (0 when abstaining)
     * @param selectedLabel   ĉ_A chosen from the n0 selection samples (also when abstaining)
     * @param nA              count of ĉ_A among the n estimation samples
     * @param n               number of estimation samples
     * @param pA              one-sided (1 − α) lower confidence bound on P(f(x + ε) = ĉ_A)
     * @param selectionCounts label counts of the n0 selection samples
     * @param counts          label counts of the n estimation samples
     * @param seconds         wall-clock time of the call
     */
    public record Certificate(int label, double radius, int selectedLabel, int nA, int n, double pA,
                              int[] selectionCounts, int[] counts, double seconds) {
        public boolean abstained() {
            return label == ABSTAIN;
        }
    }

    /**
     * Outcome of PREDICT.
     *
     * @param label   top label, or {@link #ABSTAIN}
     * @param top     most frequent label (also when abstaining)
     * @param n1      its count
     * @param n2      count of the runner-up
     * @param pValue  two-sided binomial test p-value of n1 in n1 + n2 at 1/2
     * @param counts  label counts of the n samples
     * @param seconds wall-clock time of the call
     */
    public record Prediction(int label, int top, int n1, int n2, double pValue, int[] counts, double seconds) {
        public boolean abstained() {
            return label == ABSTAIN;
        }
    }

    /** CERTIFY(x, n0, n, α) with noise batches of at most {@code batchSize}, reproducible from {@code seed}. */
    public Certificate certify(float[] x, int n0, int n, double alpha, int batchSize, long seed) {
        checkArguments(x, n, alpha, batchSize);
        if (n0 < 1) {
            throw new IllegalArgumentException("n0 must be >= 1, got " + n0);
        }
        long start = System.nanoTime();
        SplittableRandom root = new SplittableRandom(seed);
        SplittableRandom selectionStream = root.split();
        SplittableRandom estimationStream = root.split();
        int[] selectionCounts = sampleCounts(x, n0, batchSize, selectionStream);
        int cA = argmax(selectionCounts);
        int[] counts = sampleCounts(x, n, batchSize, estimationStream);
        int nA = counts[cA];
        double pA = ConfidenceBounds.lowerConfidenceBound(nA, n, alpha);
        boolean abstain = abstains(pA);
        double radius = abstain ? 0.0 : radius(pA, sigma);
        return new Certificate(abstain ? ABSTAIN : cA, radius, cA, nA, n, pA, selectionCounts, counts,
                (System.nanoTime() - start) * 1e-9);
    }

    /** PREDICT(x, n, α) with noise batches of at most {@code batchSize}, reproducible from {@code seed}. */
    public Prediction predict(float[] x, int n, double alpha, int batchSize, long seed) {
        checkArguments(x, n, alpha, batchSize);
        long start = System.nanoTime();
        int[] counts = sampleCounts(x, n, batchSize, new SplittableRandom(seed).split());
        int top = argmax(counts);
        int second = -1;
        for (int c = 0; c < counts.length; c++) {
            if (c != top && (second < 0 || counts[c] > counts[second])) {
                second = c;
            }
        }
        int n1 = counts[top];
        int n2 = second < 0 ? 0 : counts[second];
        double pValue = ConfidenceBounds.binomialTwoSidedPValue(n1, n1 + n2);
        int label = pValue <= alpha ? top : ABSTAIN;
        return new Prediction(label, top, n1, n2, pValue, counts, (System.nanoTime() - start) * 1e-9);
    }

    /** CERTIFY's decision rule: abstain iff the lower bound p_A is below 1/2 (p_A = 1/2 certifies radius 0). */
    public static boolean abstains(double pA) {
        return pA < 0.5;
    }

    /** Certified L2 radius σ Φ⁻¹(p_A) for p_A ≥ 1/2 (Cohen et al., Theorem 1 with p_B = 1 − p_A). */
    public static double radius(double pA, double sigma) {
        return sigma * ConfidenceBounds.normalQuantile(pA);
    }

    /** Label counts of f on {@code num} noisy copies x + ε, in batches of at most {@code batchSize}. */
    int[] sampleCounts(float[] x, int num, int batchSize, SplittableRandom random) {
        int classes = base.numClasses();
        int[] counts = new int[classes];
        int d = x.length;
        float[][] full = new float[Math.min(batchSize, num)][d];
        int remaining = num;
        while (remaining > 0) {
            int size = Math.min(batchSize, remaining);
            remaining -= size;
            float[][] batch = size == full.length ? full : Arrays.copyOf(full, size);
            GaussianNoise.fill(batch, x, sigma, random);
            int[] labels = base.classify(batch);
            if (labels.length != size) {
                throw new IllegalStateException("classifier returned " + labels.length + " labels for " + size);
            }
            for (int label : labels) {
                if (label < 0 || label >= classes) {
                    throw new IllegalStateException("label " + label + " outside [0, " + classes + ")");
                }
                counts[label]++;
            }
        }
        return counts;
    }

    private void checkArguments(float[] x, int n, double alpha, int batchSize) {
        if (x.length != base.inputLength()) {
            throw new IllegalArgumentException("input has length " + x.length + ", classifier expects "
                    + base.inputLength());
        }
        if (n < 1 || batchSize < 1) {
            throw new IllegalArgumentException("n and batchSize must be >= 1, got " + n + ", " + batchSize);
        }
        ConfidenceBounds.checkAlpha(alpha);
    }

    /** Index of the largest count, smallest index on ties. */
    static int argmax(int[] counts) {
        int best = 0;
        for (int c = 1; c < counts.length; c++) {
            if (counts[c] > counts[best]) {
                best = c;
            }
        }
        return best;
    }
}
