package io.equilibria.bench;

import java.util.Arrays;

/** Wall-clock timing for the benchmarks. */
public final class Timing {
    private Timing() {}

    /** Seconds of {@code task}: median of {@code repeats} timed runs after one untimed warm-up run. */
    public static double median(int repeats, Runnable task) {
        task.run();
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            task.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t[repeats / 2];
    }
}
