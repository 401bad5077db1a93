package io.equilibria.train.loop;

import ai.djl.training.tracker.Tracker;

import java.util.List;

/**
 * Adam's initial learning rate and its schedule over the run: {@code cosine} (to 1% at the end), {@code step}
 * (×0.2 at 50% and 75%) or {@code constant}.
 */
public record OptimizerConfig(double learningRate, String schedule) {
    public static final String COSINE = "cosine";
    /** Adam with DJL's defaults, as cards describe it. */
    public static final String ADAM = "Adam(beta1 0.9, beta2 0.999, eps 1e-8)";

    public OptimizerConfig {
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) throw new IllegalArgumentException("learning rate must be > 0");
        if (!List.of(COSINE, "step", "constant").contains(schedule))
            throw new IllegalArgumentException("schedule must be cosine, step or constant, got '" + schedule + "'");
    }

    /** The learning rate per step of a run of {@code totalSteps}. */
    public Tracker tracker(int totalSteps) {
        float lr = (float) learningRate;
        int total = Math.max(1, totalSteps);
        return switch (schedule) {
            case COSINE -> Tracker.cosine().setBaseValue(lr).optFinalValue(lr * 0.01f).setMaxUpdates(total).build();
            case "step" -> Tracker.multiFactor().setBaseValue(lr)
                    .setSteps(new int[] {Math.max(1, total / 2), Math.max(2, 3 * total / 4)}).optFactor(0.2f).build();
            default -> Tracker.fixed(lr);
        };
    }
}
