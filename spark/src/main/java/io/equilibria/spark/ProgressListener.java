package io.equilibria.spark;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The driver's progress line for one stage: its units (images, or tiles of split images; one task each) finished of
 * the stage's total, and failed attempts Spark retries.
 */
final class ProgressListener extends SparkListener {
    private final int total;
    private final String units;
    private final AtomicInteger done = new AtomicInteger();
    private final long start = System.nanoTime();

    ProgressListener(int total, String units) {
        this.total = total;
        this.units = units;
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        boolean ok = end.taskInfo().successful();
        int d = ok ? done.incrementAndGet() : done.get();
        double s = (System.nanoTime() - start) / 1e9;
        System.err.printf(java.util.Locale.ROOT, "equilibria: %d/%d %s done, %.3g %s/s%s%n", d, total, units, d / Math.max(s, 1e-9), units,
                ok ? "" : " (a task failed: " + reason(end) + "; Spark retries it up to spark.task.maxFailures times)");
    }

    private static String reason(SparkListenerTaskEnd end) {
        return end.reason() instanceof org.apache.spark.ExceptionFailure f ? f.className() + ": " + f.description() : String.valueOf(end.reason());
    }

}
