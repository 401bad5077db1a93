package io.equilibria.certify.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.certify.LipschitzLogits;
import io.equilibria.certify.SerialClassifier;
import io.equilibria.compute.Autograd;
import io.equilibria.solvers.Solution;
import io.equilibria.train.ClassifierTrainer;

/**
 * A {@link ConvEquilibriumNet} as a base classifier for (serialized) randomized smoothing: operators and the FB step α
 * are computed once; {@link #solve} runs FB + Anderson to the model's tolerance, {@link #steps} exactly S plain FB
 * steps from the warm states. Not thread-safe.
 */
public final class ConvEquilibriumClassifier implements SerialClassifier, io.equilibria.certify.LogitClassifier, AutoCloseable {
    private final ConvEquilibriumNet net;
    private final NDManager manager;
    private final ConvEquilibriumNet.Operators ops;
    private long totalIterations, batches;

    public ConvEquilibriumClassifier(ConvEquilibriumNet net) {
        this.net = net;
        this.manager = net.parameter("U").getManager().newSubManager();
        this.ops = Autograd.noGrad(() -> net.operators(manager));
    }

    public ConvEquilibriumNet net() { return net; }

    /** The FB step in use. */
    public double alpha() { return ops.alpha(); }

    @Override public int numClasses() { return net.config().classes(); }

    @Override public int[] inputShape() { return new int[] {1, net.config().height(), net.config().width()}; }

    public double meanIterations() { return batches == 0 ? 0 : totalIterations / (double) batches; }

    private record Rows(NDArray state) implements States {
        @Override public int rows() { return (int) state.getShape().get(0); }
        @Override public void close() { state.close(); }
    }

    @Override
    public Labels solve(float[][] batch) {
        return run(batch, null, 0, net.config().tolerance(), net.config().maxIterations());
    }

    @Override
    public Labels steps(float[][] batch, States warm, int steps) {
        if (!(warm instanceof Rows r)) throw new IllegalArgumentException("warm states must come from this classifier");
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1");
        return run(batch, r.state(), steps, 0, 0);
    }

    /** Logits solved to relative FB residual {@code tol} (at most {@code maxIterations}), as [B][classes]. */
    public float[][] logits(float[][] batch, double tol, int maxIterations) {
        int b = batch.length, k = numClasses();
        try (NDManager sm = manager.newSubManager()) {
            float[] v = Autograd.noGrad(() -> {
                NDArray z = solveOn(sm, batch, null, 0, tol, maxIterations);
                return ops.logits(z).toFloatArray();
            });
            float[][] out = new float[b][k];
            for (int i = 0; i < b; i++) System.arraycopy(v, i * k, out[i], 0, k);
            return out;
        }
    }

    /** Logits solved to the model's tolerance. */
    public float[][] logits(float[][] batch) {
        return logits(batch, net.config().tolerance(), net.config().maxIterations());
    }

    private int lastIterations;

    private NDArray solveOn(NDManager sm, float[][] batch, NDArray warm, int steps, double tol, int maxIterations) {
        int b = batch.length, d = inputLength();
        var c = net.config();
        float[] flat = new float[b * d];
        for (int i = 0; i < b; i++) {
            if (batch[i].length != d) throw new IllegalArgumentException("input has length " + batch[i].length + ", model expects " + d);
            System.arraycopy(batch[i], 0, flat, i * d, d);
        }
        NDArray inj = ops.inject(sm.create(flat, new Shape(b, 1, c.height(), c.width())));
        if (warm == null) {
            Solution s = net.solve(ops, inj, null, tol, maxIterations);
            totalIterations += s.iterations();
            lastIterations = s.iterations();
            batches++;
            return s.z();
        }
        long rows = warm.getShape().get(0);
        NDArray tiled = rows >= b ? warm : warm.tile(new long[] {(b + rows - 1) / rows, 1, 1, 1});
        NDArray start = tiled.getShape().get(0) == b ? tiled.duplicate() : tiled.get("0:" + b);
        if (tiled != warm) tiled.close();
        start.attach(sm);
        NDArray z = ConvEquilibriumNet.fbSteps(ops, inj, start, steps);
        totalIterations += steps;
        lastIterations = steps;
        batches++;
        return z;
    }

    private Labels run(float[][] batch, NDArray warm, int steps, double tol, int maxIterations) {
        try (NDManager sm = manager.newSubManager()) {
            return Autograd.noGrad(() -> {
                NDArray z = solveOn(sm, batch, warm, steps, tol, maxIterations);
                int[] labels = ClassifierTrainer.toInts(ops.logits(z).argMax(1));
                NDArray keep = z.duplicate();
                keep.attach(manager);
                return new Labels(labels, new Rows(keep), lastIterations);
            });
        }
    }

    /**
     * The logits with the prescribed bound γ of a conv LBEN, solved to relative FB residual 1e-6 (float32; at most
     * 3000 iterations).
     */
    public LipschitzLogits lipschitz() {
        if (net.config().kind() != EquilibriumNet.Kind.LBEN) throw new IllegalStateException("a conv MonDEQ has no proven Lipschitz bound");
        return new LipschitzLogits() {
            @Override public double lipschitzBound() { return net.config().gamma(); }

            @Override public synchronized Logits logits(float[] x) {
                float[] l = ConvEquilibriumClassifier.this.logits(new float[][] {x}, 1e-6, 3000)[0];
                double[] d = new double[l.length];
                for (int i = 0; i < l.length; i++) d[i] = l[i];
                return new Logits(d, lastIterations);
            }
        };
    }

    @Override
    public void close() {
        manager.close();
    }
}
