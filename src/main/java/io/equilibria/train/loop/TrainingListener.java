package io.equilibria.train.loop;

/**
 * Observes a {@link TrainingLoop}, as DJL's {@code TrainingListener} observes {@code EasyTrain}. Listeners are called
 * in the order they were given: at an epoch's end first every {@link #onValidation}, then the strategy's summary, then
 * every {@link #onEpochEnd} (history before checkpoint, so the checkpoint holds the epoch).
 */
public interface TrainingListener<R> {
    /** A step ended; {@code skipped} when its loss or a gradient was not finite and the weights were left alone. */
    record StepEnd<R>(int epoch, int step, int stepsPerEpoch, long global, R outcome, double learningRate, boolean skipped) {}

    default void onStepEnd(StepEnd<? extends R> s) {}

    /** Before the summary: a listener that evaluates the model sets {@link Epoch#validation} here. */
    default void onValidation(Epoch e) {}

    default void onEpochEnd(Epoch e) {}
}
