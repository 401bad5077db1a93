package io.equilibria.train.loop;

import io.equilibria.errors.NumericalException;

import java.util.List;

/**
 * The one training loop: epochs of steps, each step done by a {@link TrainingStep} strategy, with
 * {@link TrainingListener}s for validation, history, checkpoints and progress. Steps whose loss or gradient is not
 * finite are counted as skipped; {@code maxSkippedInARow} of them in a row stop the run.
 */
public final class TrainingLoop<R extends TrainingStep.Outcome> {
    /**
     * @param recordSteps whether the summary holds the global step count (the classifiers' histories do not)
     */
    public record Plan(int epochs, int stepsPerEpoch, int maxSkippedInARow, boolean recordSteps) {}

    private final Plan plan;
    private final TrainingStep<R> strategy;
    private final List<TrainingListener<? super R>> listeners;

    public TrainingLoop(Plan plan, TrainingStep<R> strategy, List<TrainingListener<? super R>> listeners) {
        this.plan = plan;
        this.strategy = strategy;
        this.listeners = List.copyOf(listeners);
    }

    /** Runs epochs {@code startEpoch} + 1 … {@code plan.epochs()} (0 to start afresh, the checkpoint's epoch to resume). */
    public void run(int startEpoch) {
        int spe = plan.stepsPerEpoch(), inARow = 0;
        long global = (long) startEpoch * spe;
        for (int epoch = startEpoch + 1; epoch <= plan.epochs(); epoch++) {
            long t0 = System.nanoTime();
            strategy.beginEpoch(epoch);
            double lossSum = 0;
            int skipped = 0;
            for (int s = 1; s <= spe; s++, global++) {
                double lr = strategy.learningRate();
                R r = strategy.step(global);
                boolean skip = !Double.isFinite(r.loss());
                if (skip) {
                    skipped++;
                    if (++inARow >= plan.maxSkippedInARow()) {
                        throw new NumericalException("training diverged at epoch " + epoch + ", step " + s + " (" + inARow
                                + " steps in a row with a non-finite loss or gradient); lower " + io.equilibria.errors.Setting.LEARNING_RATE);
                    }
                } else {
                    inARow = 0;
                    lossSum += r.loss();
                }
                TrainingListener.StepEnd<R> end = new TrainingListener.StepEnd<>(epoch, s, spe, global, r, lr, skip);
                for (TrainingListener<? super R> l : listeners) l.onStepEnd(end);
            }
            Epoch e = new Epoch(epoch, (long) epoch * spe, lossSum / Math.max(1, spe - skipped), skipped, t0);
            strategy.endEpoch(e);
            for (TrainingListener<? super R> l : listeners) l.onValidation(e);
            e.summary().put("epoch", epoch);
            if (plan.recordSteps()) e.summary().put("steps", e.steps());
            e.summary().put("loss", e.meanLoss());
            if (skipped > 0) e.summary().put("skippedSteps", skipped);
            strategy.summarise(e);
            for (TrainingListener<? super R> l : listeners) l.onEpochEnd(e);
        }
    }
}
