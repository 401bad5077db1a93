package io.equilibria.batch;

import java.util.Locale;

/** Rate and estimated time left of a batch, from the wall time since it started and the items done so far. */
public final class Throughput {
    private final long start = System.nanoTime();
    private final long total;

    public Throughput(long total) { this.total = total; }

    public String describe(long done) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        double rate = done / Math.max(elapsed, 1e-9);
        String eta = done == 0 ? "?" : clock((total - done) / rate);
        return String.format(Locale.ROOT, "%d/%d, %.3g images/s, elapsed %s, ETA %s", done, total, rate, clock(elapsed), eta);
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
