package io.equilibria.train.loop;

/**
 * The strategy of a {@link TrainingLoop}: what one optimiser step does, and what an epoch adds to its summary.
 * Steps are called in order of their global index, so a strategy may keep state between them (a prefetched batch,
 * running sums for its summary).
 */
public interface TrainingStep<R extends TrainingStep.Outcome> {
    /** What a step reports; a non-finite loss means the update was skipped. */
    interface Outcome {
        double loss();
    }

    /** Before the first step of epoch {@code epoch} (1-based). */
    default void beginEpoch(int epoch) {}

    /** The learning rate the next step will use (for progress reports). */
    default double learningRate() {
        return Double.NaN;
    }

    /** One optimiser step; {@code global} counts from 0 over the whole run, resumed or not. */
    R step(long global);

    /** After an epoch's steps, before its validation (e.g. a refinement validation must see). */
    default void endEpoch(Epoch e) {}

    /** Adds this trainer's fields to the epoch's summary, after the loop's own (validation is in {@link Epoch#validation}). */
    default void summarise(Epoch e) {}
}
