package io.equilibria.geq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.certify.SerialClassifier;
import io.equilibria.compute.Autograd;
import io.equilibria.solvers.Solution;

/**
 * A {@link GeqNet} as a base classifier (for randomized smoothing, serialized smoothing and the stability study):
 * operators built once; {@link #solve} runs Anderson to the model's tolerance from zeros, {@link #steps} exactly S
 * plain forward–backward steps from warm states. Keeps count of solver iterations and of
 * batches that did not converge. Not thread-safe.
 */
public final class GeqClassifier implements SerialClassifier, io.equilibria.certify.LogitClassifier, AutoCloseable {
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

    public long batches() { return batches; }

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
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1");
        return run(batch, r.state(), steps);
    }

    /** Logits [B][classes] at the equilibrium (solved to the model's tolerance). */
    public float[][] logits(float[][] batch) {
        int k = numClasses();
        try (NDManager sm = manager.newSubManager()) {
            float[] v = Autograd.noGrad(() -> ops.logits(equilibrium(sm, batch, null, 0)).toFloatArray());
            float[][] out = new float[batch.length][k];
            for (int i = 0; i < batch.length; i++) System.arraycopy(v, i * k, out[i], 0, k);
            return out;
        }
    }

    private int lastIterations;

    /** The equilibrium of a batch: Anderson from zeros, or {@code steps} FB steps from warm rows (tiled to the batch). */
    private NDArray equilibrium(NDManager sm, float[][] batch, NDArray warm, int steps) {
        int b = batch.length, d = inputLength();
        float[] flat = new float[b * d];
        for (int i = 0; i < b; i++) {
            if (batch[i].length != d) throw new IllegalArgumentException("input has length " + batch[i].length + ", model expects " + d);
            System.arraycopy(batch[i], 0, flat, i * d, d);
        }
        NDList xs = ops.patches(sm.create(flat, new Shape(b, d)));
        batches++;
        if (warm == null) {
            Solution s = ops.solve(xs, null, net.config().tolerance(), net.config().maxIterations());
            iterations += s.iterations();
            lastIterations = s.iterations();
            if (!s.converged()) unconverged++;
            return s.z();
        }
        long rows = warm.getShape().get(0);
        NDArray z;
        // views and tiles of the warm rows would be created on the classifier's manager: close them here
        try (NDArray tiled = rows >= b ? warm.duplicate() : warm.tile(new long[] {(b + rows - 1) / rows, 1}); NDArray part = tiled.get("0:" + b)) {
            z = part.duplicate();
        }
        z.attach(sm);
        for (int i = 0; i < steps; i++) z = ops.fb(z, xs);
        iterations += steps;
        lastIterations = steps;
        return z;
    }

    private Labels run(float[][] batch, NDArray warm, int steps) {
        try (NDManager sm = manager.newSubManager()) {
            return Autograd.noGrad(() -> {
                NDArray z = equilibrium(sm, batch, warm, steps);
                float[] l = ops.logits(z).toFloatArray();
                int k = numClasses();
                int[] labels = new int[batch.length];
                for (int i = 0; i < batch.length; i++) {
                    int best = 0;
                    for (int c = 1; c < k; c++) if (l[i * k + c] > l[i * k + best]) best = c;
                    labels[i] = best;
                }
                NDArray keep = z.duplicate();
                keep.attach(manager);
                return new Labels(labels, new Rows(keep), lastIterations);
            });
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
