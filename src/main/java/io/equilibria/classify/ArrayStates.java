package io.equilibria.classify;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.certify.SerialClassifier;

import java.util.Arrays;

/**
 * Solver states of an equilibrium classifier as one array whose first axis is the batch: what the project's
 * {@link SerialClassifier}s hand to serialized smoothing and take back to warm-start the next batch.
 */
public record ArrayStates(NDArray state) implements SerialClassifier.States {
    @Override public int rows() { return (int) state.getShape().get(0); }

    @Override public void close() { state.close(); }

    /** {@code warm} as array states, or an error when another kind of classifier made them. */
    public static ArrayStates of(SerialClassifier.States warm) {
        if (!(warm instanceof ArrayStates a)) throw new IllegalArgumentException("warm states must come from this classifier");
        return a;
    }

    /** The start of a batch of {@code b} on {@code m}: row i is the state's row i mod its row count. */
    public NDArray startFor(int b, NDManager m) {
        long rows = state.getShape().get(0);
        long[] repeats = new long[state.getShape().dimension()];
        Arrays.fill(repeats, 1);
        repeats[0] = (b + rows - 1) / rows;
        NDArray tiled = rows >= b ? state : state.tile(repeats);
        NDArray start = tiled.getShape().get(0) == b ? tiled.duplicate() : tiled.get("0:" + b);
        if (tiled != state) tiled.close();
        start.attach(m);
        return start;
    }
}
