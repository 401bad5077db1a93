package io.equilibria.spark;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.util.concurrent.atomic.AtomicInteger;

/** The driver's progress line: images finished (one task each) of the job's total, and failed attempts Spark retries. */
final class ProgressListener extends SparkListener {
    private final int total;
    private final AtomicInteger done = new AtomicInteger();
    private final long start = System.nanoTime();

    ProgressListener(int total) { this.total = total; }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        boolean ok = end.taskInfo().successful();
        int d = ok ? done.incrementAndGet() : done.get();
        double s = (System.nanoTime() - start) / 1e9;
        System.err.printf(java.util.Locale.ROOT, "equilibria: %d/%d images done, %.3g images/s%s%n", d, total, d / Math.max(s, 1e-9),
                ok ? "" : " (a task failed: " + reason(end) + "; Spark retries it up to spark.task.maxFailures times)");
    }

    private static String reason(SparkListenerTaskEnd end) {
        return end.reason() instanceof org.apache.spark.ExceptionFailure f ? f.className() + ": " + f.description() : String.valueOf(end.reason());
    }

}
