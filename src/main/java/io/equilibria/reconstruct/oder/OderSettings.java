package io.equilibria.reconstruct.oder;

import io.equilibria.errors.Setting;

import io.equilibria.reconstruct.deq.StepSize;

import io.equilibria.reconstruct.deq.DataTerm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How ODER runs: B blocks per iteration, how they are drawn and scaled, the seed of the draws, and the forward
 * solver's running-residual window and output averaging (see {@link io.equilibria.solvers.Nesterov}).
 *
 * @param batch    blocks per iteration B (1 ≤ B ≤ I; B = I is the full-batch DEQ)
 * @param window   running-residual window W: stop when the mean of the last W relative changes meets the tolerance
 * @param average  output = mean of the last A iterates (1: the last iterate)
 * @param safeStep use the stable step κγ of {@link StepSize} (true, the default) or the model's own γ (false: only
 *                 sensible with Anderson, e.g. to reproduce the full-batch DEQ exactly with B = I)
 */
public record OderSettings(int batch, BlockSampler.Kind sampling, MinibatchData.Scaling scaling, long seed, int window,
                           int average, boolean safeStep) {
    /** Defaults: uniform draws, unbiased scaling, seed 0, window 5, average of the last 5 iterates, safe step. */
    public static OderSettings defaults(int batch) {
        return new OderSettings(batch, BlockSampler.Kind.UNIFORM, MinibatchData.Scaling.UNBIASED, 0, 5, 5, true);
    }

    public OderSettings withBatch(int b) { return new OderSettings(b, sampling, scaling, seed, window, average, safeStep); }
    public OderSettings withSeed(long s) { return new OderSettings(batch, sampling, scaling, s, window, average, safeStep); }
    public OderSettings withSafeStep(boolean b) { return new OderSettings(batch, sampling, scaling, seed, window, average, b); }

    public OderSettings {
        if (batch < 1) throw new IllegalArgumentException(Setting.MINIBATCH + " must be >= 1, got " + batch);
        if (window < 1) throw new IllegalArgumentException("the running-residual window must be >= 1, got " + window);
        if (average < 1) throw new IllegalArgumentException(Setting.AVERAGE + " must be >= 1, got " + average);
    }

    public DataTerm.Factory dataTerm() {
        return (ops, ys) -> new MinibatchData(ops, ys, sampling, batch, scaling, seed);
    }

    /** The default forward solver spec for ODER. */
    public String solverSpec() { return "nesterov:window=" + window + ",average=" + average; }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("batch", batch);
        m.put("sampling", sampling.toString());
        m.put("scaling", scaling.toString());
        m.put("seed", seed);
        m.put("window", window);
        m.put("average", average);
        m.put("step", safeStep ? "safe" : "model");
        return m;
    }
}
