package io.equilibria.train.loop;

/** How long a run is: {@code epochs} of {@code stepsPerEpoch} optimiser steps (validation and a checkpoint after each epoch). */
public record ScheduleConfig(int epochs, int stepsPerEpoch) {
    public ScheduleConfig {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (stepsPerEpoch < 1) throw new IllegalArgumentException("steps per epoch must be >= 1, got " + stepsPerEpoch);
    }

    public int totalSteps() {
        return epochs * stepsPerEpoch;
    }

    public ScheduleConfig withEpochs(int e) {
        return new ScheduleConfig(e, stepsPerEpoch);
    }
}
