package io.equilibria.train.loop;

import java.util.LinkedHashMap;
import java.util.Map;

/** One finished epoch as the loop's listeners see it; its summary becomes an entry of the history. */
public final class Epoch {
    private final int number, skipped;
    private final long steps, startNanos;
    private final double meanLoss;
    private final Map<String, Object> summary = new LinkedHashMap<>();
    private Map<String, Object> validation;

    Epoch(int number, long steps, double meanLoss, int skipped, long startNanos) {
        this.number = number;
        this.steps = steps;
        this.meanLoss = meanLoss;
        this.skipped = skipped;
        this.startNanos = startNanos;
    }

    /** 1-based. */
    public int number() { return number; }

    /** Global steps done at the end of this epoch. */
    public long steps() { return steps; }

    /** Mean loss over the steps that were not skipped. */
    public double meanLoss() { return meanLoss; }

    public int skipped() { return skipped; }

    /** Seconds since the epoch's first step, now. */
    public double seconds() { return (System.nanoTime() - startNanos) / 1e9; }

    /** The history entry, in the order its fields were put. */
    public Map<String, Object> summary() { return summary; }

    public Map<String, Object> validation() { return validation; }

    void validation(Map<String, Object> v) { validation = v; }
}
