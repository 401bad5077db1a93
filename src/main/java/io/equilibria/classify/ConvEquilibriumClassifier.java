package io.equilibria.classify;

import io.equilibria.compute.Tensors;
import io.equilibria.classify.ArrayStates;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.certify.Classifier;
import io.equilibria.certify.LipschitzLogits;
import io.equilibria.certify.SerialClassifier;
import io.equilibria.compute.Autograd;
import io.equilibria.solvers.Solution;

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

    @Override
    public Labels solve(float[][] batch) {
        return run(batch, null, 0, net.solver().tolerance(), net.solver().maxIterations());
    }

    @Override
    public Labels steps(float[][] batch, States warm, int steps) {
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1");
        return run(batch, ArrayStates.of(warm), steps, 0, 0);
    }

    /** Logits solved to relative FB residual {@code tol} (at most {@code maxIterations}), as [B][classes]. */
    public float[][] logits(float[][] batch, double tol, int maxIterations) {
        try (NDManager sm = manager.newSubManager()) {
            float[] v = Autograd.noGrad(() -> ops.logits(solveOn(sm, batch, null, 0, tol, maxIterations)).toFloatArray());
            return Classifier.rows(v, numClasses());
        }
    }

    /** Logits solved to the model's tolerance. */
    public float[][] logits(float[][] batch) {
        return logits(batch, net.solver().tolerance(), net.solver().maxIterations());
    }

    private int lastIterations;

    private NDArray solveOn(NDManager sm, float[][] batch, ArrayStates warm, int steps, double tol, int maxIterations) {
        int b = batch.length;
        var c = net.config();
        NDArray inj = ops.inject(Tensors.owned(sm.create(flatten(batch), new Shape(b, 1, c.height(), c.width()))));
        if (warm == null) {
            Solution s = net.solve(ops, inj, null, tol, maxIterations);
            totalIterations += s.iterations();
            lastIterations = s.iterations();
            batches++;
            return s.z();
        }
        NDArray z = ConvEquilibriumNet.fbSteps(ops, inj, warm.startFor(b, sm), steps);
        totalIterations += steps;
        lastIterations = steps;
        batches++;
        return z;
    }

    private Labels run(float[][] batch, ArrayStates warm, int steps, double tol, int maxIterations) {
        try (NDManager sm = manager.newSubManager()) {
            return Autograd.noGrad(() -> {
                NDArray z = solveOn(sm, batch, warm, steps, tol, maxIterations);
                int[] labels = io.equilibria.compute.Tensors.toInts(ops.logits(z).argMax(1));
                NDArray keep = z.duplicate();
                keep.attach(manager);
                return new Labels(labels, new ArrayStates(keep), lastIterations);
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
