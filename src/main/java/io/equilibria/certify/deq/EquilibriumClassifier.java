package io.equilibria.certify.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.certify.SerialClassifier;
import io.equilibria.compute.Autograd;
import io.equilibria.train.ClassifierTrainer;

/**
 * An {@link EquilibriumNet} as a base classifier for (serialized) randomized smoothing: its matrices are computed once,
 * each batch is solved with the model's configured splitting method, and the solver states can be kept to warm-start
 * the next batch. Not thread-safe.
 */
public final class EquilibriumClassifier implements SerialClassifier, io.equilibria.certify.LogitClassifier, AutoCloseable {
    private final EquilibriumNet net;
    private final NDManager manager;
    private final EquilibriumNet.Operators ops;
    private final double fbStep;
    private long totalIterations, batches;

    public EquilibriumClassifier(EquilibriumNet net) {
        this.net = net;
        this.manager = net.parameter("U").getManager().newSubManager();
        EquilibriumNet.Method m = net.config().method();
        this.ops = Autograd.noGrad(() -> net.operators(manager, m == EquilibriumNet.Method.PR));
        this.fbStep = m == EquilibriumNet.Method.FB ? net.forwardBackwardStep() : 0;
    }

    public EquilibriumNet net() { return net; }

    @Override public int numClasses() { return net.config().classes(); }

    @Override public int[] inputShape() {
        var c = net.config();
        return new int[] {c.channels(), c.height(), c.width()};
    }

    /** Mean solver iterations per batch since construction. */
    public double meanIterations() { return batches == 0 ? 0 : totalIterations / (double) batches; }

    private record Rows(NDArray state) implements States {
        @Override public int rows() { return (int) state.getShape().get(0); }
        @Override public void close() { state.close(); }
    }

    @Override
    public Labels solve(float[][] batch) {
        return run(batch, null, 0);
    }

    @Override
    public Labels steps(float[][] batch, States warm, int steps) {
        if (!(warm instanceof Rows r)) throw new IllegalArgumentException("warm states must come from this classifier");
        return run(batch, r.state(), steps);
    }

    /** Logits of a batch solved to tolerance, as [B][classes]. */
    public float[][] logits(float[][] batch) {
        int b = batch.length, k = numClasses();
        try (NDManager sm = manager.newSubManager()) {
            float[] v = Autograd.noGrad(() -> {
                EquilibriumNet.Solution s = solveOn(sm, batch, null, 0);
                return ops.logits(s.z()).toFloatArray();
            });
            float[][] out = new float[b][k];
            for (int i = 0; i < b; i++) System.arraycopy(v, i * k, out[i], 0, k);
            return out;
        }
    }

    private EquilibriumNet.Solution solveOn(NDManager sm, float[][] batch, NDArray warm, int steps) {
        int b = batch.length, d = inputLength();
        float[] flat = new float[b * d];
        for (int i = 0; i < b; i++) {
            if (batch[i].length != d) throw new IllegalArgumentException("input has length " + batch[i].length + ", model expects " + d);
            System.arraycopy(batch[i], 0, flat, i * d, d);
        }
        NDArray inj = ops.inject(sm.create(flat, new Shape(b, d)));
        NDArray start = null;
        if (warm != null) {
            long rows = warm.getShape().get(0);
            NDArray tiled = rows >= b ? warm : warm.tile(new long[] {(b + rows - 1) / rows, 1});
            start = tiled.getShape().get(0) == b ? tiled.duplicate() : tiled.get("0:" + b);
            if (tiled != warm) tiled.close();
        }
        if (start != null) start.attach(sm);
        var c = net.config();
        EquilibriumNet.Solution s = EquilibriumNet.solve(ops, c.method(), fbStep, inj, start, steps, c.tolerance(), c.maxIterations());
        totalIterations += s.iterations();
        batches++;
        return s;
    }

    private Labels run(float[][] batch, NDArray warm, int steps) {
        try (NDManager sm = manager.newSubManager()) {
            return Autograd.noGrad(() -> {
                EquilibriumNet.Solution s = solveOn(sm, batch, warm, steps);
                int[] labels = ClassifierTrainer.toInts(ops.logits(s.z()).argMax(1));
                NDArray keep = s.state().duplicate();
                keep.attach(manager);
                return new Labels(labels, new Rows(keep), s.iterations());
            });
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
