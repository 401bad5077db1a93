package io.equilibria.image;

import java.util.Arrays;

/** Small order statistics on pixel arrays (exact, by sorting a copy). */
public final class Stats {
    private Stats() {}

    /** Linear-interpolated percentile (numpy's default) over all the given arrays together. */
    public static double percentile(float[][] data, double p) {
        int n = 0;
        for (float[] d : data) n += d.length;
        float[] all = new float[n];
        int k = 0;
        for (float[] d : data) {
            System.arraycopy(d, 0, all, k, d.length);
            k += d.length;
        }
        Arrays.sort(all);
        return sortedPercentile(all, p);
    }

    public static double sortedPercentile(float[] sorted, double p) {
        double pos = p / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        double f = pos - lo;
        return sorted[lo] * (1 - f) + sorted[hi] * f;
    }

    public static double median(float[] v) {
        float[] c = v.clone();
        Arrays.sort(c);
        return sortedPercentile(c, 50);
    }
}
