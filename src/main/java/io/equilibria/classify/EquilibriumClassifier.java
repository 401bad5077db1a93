package io.equilibria.classify;

import io.equilibria.compute.Tensors;
import io.equilibria.classify.ArrayStates;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.certify.Classifier;
import io.equilibria.certify.SerialClassifier;
import io.equilibria.compute.Autograd;

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

    @Override
    public Labels solve(float[][] batch) {
        return run(batch, null, 0);
    }

    @Override
    public Labels steps(float[][] batch, States warm, int steps) {
        return run(batch, ArrayStates.of(warm), steps);
    }

    /** Logits of a batch solved to tolerance, as [B][classes]. */
    public float[][] logits(float[][] batch) {
        try (NDManager sm = manager.newSubManager()) {
            float[] v = Autograd.noGrad(() -> ops.logits(solveOn(sm, batch, null, 0).z()).toFloatArray());
            return Classifier.rows(v, numClasses());
        }
    }

    private EquilibriumNet.Solution solveOn(NDManager sm, float[][] batch, ArrayStates warm, int steps) {
        int b = batch.length;
        NDArray inj = ops.inject(Tensors.owned(sm.create(flatten(batch), new Shape(b, inputLength()))));
        NDArray start = warm == null ? null : warm.startFor(b, sm);
        var c = net.config();
        EquilibriumNet.Solution s = EquilibriumNet.solve(ops, c.method(), fbStep, inj, start, steps, c.tolerance(), c.maxIterations());
        totalIterations += s.iterations();
        batches++;
        return s;
    }

    private Labels run(float[][] batch, ArrayStates warm, int steps) {
        try (NDManager sm = manager.newSubManager()) {
            return Autograd.noGrad(() -> {
                EquilibriumNet.Solution s = solveOn(sm, batch, warm, steps);
                int[] labels = io.equilibria.compute.Tensors.toInts(ops.logits(s.z()).argMax(1));
                NDArray keep = s.state().duplicate();
                keep.attach(manager);
                return new Labels(labels, new ArrayStates(keep), s.iterations());
            });
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
