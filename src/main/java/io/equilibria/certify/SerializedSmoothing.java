package io.equilibria.certify;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Serialized randomized smoothing (SRS; Gao, Hou, Xu, Liu, "Certified Robustness for Deep Equilibrium Models via
 * Serialized Random Smoothing", NeurIPS 2024) for an equilibrium base classifier.
 * <ol>
 *   <li>Selection as in Cohen et al.: n0 noisy samples through the standard model (solved to tolerance) pick ĉ_A.
 *       These full solves are also the warm-up: the estimation starts from the last selection batch's fixed points
 *       (repeated row-wise when that batch is smaller), so no extra warm-up solve is spent.</li>
 *   <li>Estimation: N noisy samples in batches; every batch starts from the previous batch's solver states (row by
 *       row) and takes only S steps. N_A counts ĉ_A.</li>
 *   <li>Correlation elimination: K of the N samples, chosen uniformly at random before sampling, are re-run through
 *       the standard model; N2 of them got ĉ_A from SRS, N1 of those also from the standard model. The certificate is
 *       {@link SrsCertificate#certify} (the paper's form by default; the public code's variant on request).</li>
 * </ol>
 * Noise comes from seeded {@link SplittableRandom} streams split the same way as {@link RandomizedSmoothing}'s, so with
 * the same seed the selection and estimation samples are identical to standard smoothing's and the two are directly
 * comparable (a K re-check sample is a copy of an estimation sample).
 */
public final class SerializedSmoothing {
    private final SerialClassifier base;
    private final double sigma;

    public SerializedSmoothing(SerialClassifier base, double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) throw new IllegalArgumentException("sigma must be positive and finite");
        this.base = base;
        this.sigma = sigma;
    }

    /**
     * @param nA     SRS's count of ĉ_A among the N estimation samples
     * @param n1     re-checked samples labelled ĉ_A by both SRS and the standard model
     * @param n2     re-checked samples labelled ĉ_A by SRS
     * @param agree  re-checked samples where SRS and the standard model agree (any label)
     * @param steps  solver steps summed over all estimation batches (warm-up included)
     */
    public record Certificate(int label, double radius, int selectedLabel, long nA, long n, long n1, long n2, int recheck,
                             int agree, SrsCertificate.Result result, long steps, double seconds) {
        public boolean abstained() { return label == RandomizedSmoothing.ABSTAIN; }
    }

    /**
     * CERTIFY with SRS: {@code steps} solver steps per warm-started batch, {@code recheck} = K re-checked samples
     * (0 &lt; K ≤ n), total confidence α shared between the mismatch bound and p_A.
     */
    public Certificate certify(float[] x, int n0, int n, double alpha, int batchSize, long seed, int steps, int recheck,
                               SrsCertificate.Variant variant) {
        if (x.length != base.inputLength()) throw new IllegalArgumentException("input has length " + x.length + ", classifier expects " + base.inputLength());
        if (n0 < 1 || n < 1 || batchSize < 1) throw new IllegalArgumentException("n0, n and batch must be >= 1");
        if (steps < 1) throw new IllegalArgumentException("SRS needs >= 1 solver step per batch, got " + steps);
        if (recheck < 1 || recheck > n) throw new IllegalArgumentException("re-checked samples K must be in [1, n], got " + recheck);
        ConfidenceBounds.checkAlpha(alpha);
        long t0 = System.nanoTime();
        SplittableRandom root = new SplittableRandom(seed);
        SplittableRandom selection = root.split(), estimation = root.split(), pick = root.split();
        // selection through the standard model; the last selection batch's states are the warm-up for estimation
        int d = x.length;
        int[] selCounts = new int[base.numClasses()];
        SerialClassifier.States warm = null;
        float[][] selBatch = new float[Math.min(batchSize, n0)][d];
        for (int left = n0; left > 0; ) {
            int size = Math.min(batchSize, left);
            left -= size;
            float[][] batch = size == selBatch.length ? selBatch : Arrays.copyOf(selBatch, size);
            GaussianNoise.fill(batch, x, sigma, selection);
            SerialClassifier.Labels l = base.solve(batch);
            for (int label : l.labels()) selCounts[label]++;
            if (warm != null) warm.close();
            warm = l.states();
        }
        int cA = RandomizedSmoothing.argmax(selCounts);

        boolean[] chosen = new boolean[n];
        int[] chosenIdx = sample(n, recheck, pick);
        for (int i : chosenIdx) chosen[i] = true;
        float[][] kept = new float[recheck][];
        int[] keptSrs = new int[recheck];
        int keptCount = 0;

        long nA = 0, totalSteps = 0;
        float[][] full = new float[Math.min(batchSize, n)][d];
        try {
            int done = 0;
            while (done < n) {
                int size = Math.min(batchSize, n - done);
                float[][] batch = size == full.length ? full : Arrays.copyOf(full, size);
                GaussianNoise.fill(batch, x, sigma, estimation);
                SerialClassifier.Labels l = base.steps(batch, warm, steps);
                warm.close();
                warm = l.states();
                totalSteps += l.iterations();
                for (int i = 0; i < size; i++) {
                    if (l.labels()[i] == cA) nA++;
                    if (chosen[done + i]) {
                        kept[keptCount] = batch[i].clone();
                        keptSrs[keptCount++] = l.labels()[i];
                    }
                }
                done += size;
            }
        } finally {
            if (warm != null) warm.close();
        }
        int n1 = 0, n2 = 0, agree = 0;
        for (int start = 0; start < recheck; start += batchSize) {
            int size = Math.min(batchSize, recheck - start);
            int[] std = base.classify(Arrays.copyOfRange(kept, start, start + size));
            for (int i = 0; i < size; i++) {
                int srs = keptSrs[start + i];
                if (srs == std[i]) agree++;
                if (srs == cA) {
                    n2++;
                    if (std[i] == cA) n1++;
                }
            }
        }
        SrsCertificate.Result r = SrsCertificate.certify(cA, nA, n, n1, n2, alpha, sigma, variant);
        return new Certificate(r.label(), r.radius(), cA, nA, n, n1, n2, recheck, agree, r, totalSteps,
                (System.nanoTime() - t0) * 1e-9);
    }

    /** k distinct indices of [0, n), uniformly (partial Fisher–Yates on a sparse map when n is large). */
    static int[] sample(int n, int k, SplittableRandom r) {
        java.util.HashMap<Integer, Integer> swapped = new java.util.HashMap<>();
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            int j = i + r.nextInt(n - i);
            int vi = swapped.getOrDefault(i, i), vj = swapped.getOrDefault(j, j);
            out[i] = vj;
            swapped.put(j, vi);
        }
        return out;
    }
}
