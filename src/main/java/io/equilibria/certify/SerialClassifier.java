package io.equilibria.certify;

/**
 * A base classifier whose prediction is the result of an iterative solve that can be warm-started — an equilibrium
 * model — as serialized randomized smoothing ({@link SerializedSmoothing}) needs: a full solve from a cold start
 * (the standard model), and a fixed number of solver steps from the states of the previous batch.
 */
public interface SerialClassifier extends Classifier {
    /** Solver states of one batch, one row per input; owned by whoever holds it. */
    interface States extends AutoCloseable {
        int rows();

        @Override
        void close();
    }

    /** Labels of a batch, its solver states (to warm-start the next batch) and the solver steps taken. */
    record Labels(int[] labels, States states, int iterations) {}

    /** The standard model: solve to tolerance from a cold start. */
    Labels solve(float[][] batch);

    /**
     * Exactly {@code steps} solver steps from {@code warm}: row i starts from the warm state's row i mod its row count
     * (so a smaller warm-up batch can start a larger one); {@code steps} ≤ 0 means to tolerance from {@code warm}.
     */
    Labels steps(float[][] batch, States warm, int steps);

    @Override
    default int[] classify(float[][] batch) {
        Labels l = solve(batch);
        l.states().close();
        return l.labels();
    }
}
