package io.equilibria.reconstruct.oder;

import io.equilibria.errors.Setting;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Draws ODER's minibatch: B of the I measurement blocks per iteration, sorted, each with its inclusion probability
 * π_i so that Σ_{i∈S} ∇g_i / π_i is an unbiased estimate of Σ_i ∇g_i.
 * <ul>
 *   <li>{@code uniform}: B distinct blocks uniformly without replacement, π = B/I;</li>
 *   <li>{@code stratified}: the blocks split into B contiguous strata (sizes ⌊I/B⌋ or ⌈I/B⌉; e.g. angular sectors of
 *       views, neighbouring row groups), one block from each, π = 1/|stratum| (as the public CT demo draws its views).</li>
 * </ul>
 * With B = I both return every block with π = 1.
 */
public final class BlockSampler {
    public enum Kind {
        UNIFORM, STRATIFIED;

        public static Kind parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown sampling '" + s + "' (use uniform or stratified)");
            }
        }

        @Override public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /** Sorted block indices and their inclusion probabilities. */
    public record Draw(int[] blocks, double[] inclusion) {
        public boolean all(int total) { return blocks.length == total; }
    }

    private final Kind kind;
    private final int total, batch;
    private final int[] strataStart;

    public BlockSampler(Kind kind, int total, int batch) {
        if (total < 1) throw new IllegalArgumentException("the operator has no measurement blocks");
        if (batch < 1 || batch > total) {
            throw new IllegalArgumentException(Setting.MINIBATCH + " must be in 1.." + total + " (the measurement has " + total + " blocks), got " + batch);
        }
        this.kind = kind;
        this.total = total;
        this.batch = batch;
        strataStart = new int[batch + 1];
        for (int s = 0; s <= batch; s++) strataStart[s] = (int) Math.round((double) s * total / batch);
    }

    public Kind kind() { return kind; }
    public int total() { return total; }
    public int batch() { return batch; }

    public Draw draw(SplittableRandom r) {
        int[] out = new int[batch];
        double[] p = new double[batch];
        if (batch == total) {
            for (int i = 0; i < total; i++) out[i] = i;
            Arrays.fill(p, 1.0);
            return new Draw(out, p);
        }
        if (kind == Kind.UNIFORM) {
            int[] perm = new int[total];
            for (int i = 0; i < total; i++) perm[i] = i;
            for (int i = 0; i < batch; i++) { // partial Fisher–Yates
                int j = i + r.nextInt(total - i);
                int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
                out[i] = perm[i];
            }
            Arrays.sort(out);
            Arrays.fill(p, (double) batch / total);
        } else {
            for (int s = 0; s < batch; s++) {
                int size = strataStart[s + 1] - strataStart[s];
                out[s] = strataStart[s] + r.nextInt(size);
                p[s] = 1.0 / size;
            }
        }
        return new Draw(out, p);
    }

    /**
     * Every draw this sampler can make, each as sorted blocks, when they all have equal weights and there are at most
     * {@code limit} of them; null otherwise. (Uniform: the C(I, B) subsets; stratified with equal strata: one block per
     * stratum.)
     */
    public java.util.List<int[]> allDraws(int limit) {
        java.util.List<int[]> out = new java.util.ArrayList<>();
        if (batch == total) {
            int[] all = new int[total];
            for (int i = 0; i < total; i++) all[i] = i;
            out.add(all);
            return out;
        }
        if (kind == Kind.STRATIFIED) {
            int size = strataStart[1] - strataStart[0];
            for (int s = 0; s < batch; s++) if (strataStart[s + 1] - strataStart[s] != size) return null; // uneven weights
            long count = 1;
            for (int s = 0; s < batch; s++) count *= size;
            if (count > limit) return null;
            int[] pick = new int[batch];
            fillStrata(0, pick, out);
        } else {
            double count = 1;
            for (int k = 0; k < batch; k++) count = count * (total - k) / (k + 1);
            if (count > limit) return null;
            combinations(0, 0, new int[batch], out);
        }
        return out;
    }

    private void fillStrata(int s, int[] pick, java.util.List<int[]> out) {
        if (s == batch) {
            out.add(pick.clone());
            return;
        }
        for (int b = strataStart[s]; b < strataStart[s + 1]; b++) {
            pick[s] = b;
            fillStrata(s + 1, pick, out);
        }
    }

    private void combinations(int from, int k, int[] pick, java.util.List<int[]> out) {
        if (k == batch) {
            out.add(pick.clone());
            return;
        }
        for (int b = from; b <= total - (batch - k); b++) {
            pick[k] = b;
            combinations(b + 1, k + 1, pick, out);
        }
    }

    @Override
    public String toString() { return String.format(Locale.ROOT, "%s %d of %d", kind, batch, total); }
}
