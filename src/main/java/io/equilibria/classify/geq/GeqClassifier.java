package io.equilibria.classify.geq;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.certify.Classifier;
import io.equilibria.certify.LogitClassifier;
import io.equilibria.certify.SerialClassifier;
import io.equilibria.classify.ArrayStates;
import io.equilibria.compute.Autograd;
import io.equilibria.solvers.Solution;

/**
 * A {@link GeqNet} as a base classifier (for randomized smoothing, serialized smoothing and the stability study):
 * operators built once; {@link #solve} runs Anderson to the model's tolerance from zeros, {@link #steps} exactly S
 * plain forward–backward steps from warm states. Keeps count of solver iterations and of
 * batches that did not converge. Not thread-safe.
 */
public final class GeqClassifier implements SerialClassifier, LogitClassifier, AutoCloseable {
    private final GeqNet net;
    private final NDManager manager;
    private final GeqNet.Operators ops;
    private long iterations, batches, unconverged;

    public GeqClassifier(GeqNet net) {
        this.net = net;
        this.manager = net.parameter("G").getManager().newSubManager();
        this.ops = Autograd.noGrad(() -> net.operators(manager));
    }

    public GeqNet net() { return net; }

    @Override public int numClasses() { return net.config().classes(); }

    @Override public int[] inputShape() { return new int[] {1, net.config().height(), net.config().width()}; }

    /** The forward–backward steps of the branches (from the stored weights). */
    public double[] alphas() { return ops.alphas(); }

    /** Mean solver iterations per batch so far. */
    public double meanIterations() { return batches == 0 ? 0 : iterations / (double) batches; }

    /** Batches whose solve stopped at the iteration cap without reaching the tolerance. */
    public long unconvergedBatches() { return unconverged; }

    @Override
    public Labels solve(float[][] batch) {
        return run(batch, null, 0);
    }

    @Override
    public Labels steps(float[][] batch, States warm, int steps) {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1");
        return run(batch, ArrayStates.of(warm), steps);
    }

    /** Logits [B][classes] at the equilibrium (solved to the model's tolerance). */
    public float[][] logits(float[][] batch) {
        try (NDManager sm = manager.newSubManager()) {
            float[] v = Autograd.noGrad(() -> ops.logits(equilibrium(sm, batch, null, 0)).toFloatArray());
            return Classifier.rows(v, numClasses());
        }
    }

    private int lastIterations;

    /** The equilibrium of a batch: Anderson from zeros, or {@code steps} FB steps from warm rows (tiled to the batch). */
    private NDArray equilibrium(NDManager sm, float[][] batch, ArrayStates warm, int steps) {
        int b = batch.length;
        NDList xs = ops.patches(Tensors.owned(sm.create(flatten(batch), new Shape(b, inputLength()))));
        batches++;
        if (warm == null) {
            Solution s = ops.solve(xs, null, net.solver().tolerance(), net.solver().maxIterations());
            iterations += s.iterations();
            lastIterations = s.iterations();
            if (!s.converged()) unconverged++;
            return s.z();
        }
        NDArray z = warm.startFor(b, sm);
        for (int i = 0; i < steps; i++) z = ops.fb(z, xs);
        iterations += steps;
        lastIterations = steps;
        return z;
    }

    private Labels run(float[][] batch, ArrayStates warm, int steps) {
        try (NDManager sm = manager.newSubManager()) {
            return Autograd.noGrad(() -> {
                NDArray z = equilibrium(sm, batch, warm, steps);
                int[] labels = io.equilibria.compute.Tensors.toInts(ops.logits(z).argMax(1));
                NDArray keep = z.duplicate();
                keep.attach(manager);
                return new Labels(labels, new ArrayStates(keep), lastIterations);
            });
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
