package io.equilibria.train.loop;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Parameter;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.equilibria.compute.Autograd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam (Kingma &amp; Ba 2015) with the same update as DJL's {@code Optimizer.adam()} —
 * {@code w −= lr_t · sqrt(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (sqrt(v) + ε)} with DJL's defaults β₁ = 0.9, β₂ = 0.999,
 * ε = 1e-8 and a DJL {@link Tracker} for the learning rate — but whose state (both moments of every parameter and
 * the step count) can be saved and restored, which DJL's optimiser does not expose. A resumed run therefore
 * continues exactly where the checkpoint left off. Moments are keyed by parameter name, not by DJL's per-object
 * ids, so they survive a rebuild of the block. Gradients are zeroed after each step (DJL's PyTorch collector
 * accumulates them).
 */
public final class AdamOptimizer implements AutoCloseable {
    private static final int MAGIC = 0x41444d31; // "ADM1"

    private final Tracker learningRate;
    private final float beta1, beta2, epsilon;
    private final NDManager manager;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private int steps;

    public AdamOptimizer(NDManager parent, Tracker learningRate) {
        this(parent, learningRate, 0.9f, 0.999f, 1e-8f);
    }

    public AdamOptimizer(NDManager parent, Tracker learningRate, float beta1, float beta2, float epsilon) {
        this.manager = parent.newSubManager();
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    private java.util.function.ToDoubleFunction<String> rateScale = name -> 1.0;

    /** A per-parameter multiple of the learning rate, by name (e.g. larger for a few scalars than for weights). */
    public void setLearningRateScale(java.util.function.ToDoubleFunction<String> scale) {
        this.rateScale = scale;
    }

    /** Updates completed so far. */
    public int steps() {
        return steps;
    }

    /** The learning rate the next step will use (before bias correction). */
    public float currentLearningRate() {
        return learningRate.getNewValue(steps);
    }

    /** One update of every parameter from its accumulated gradient, then zeroes the gradients. */
    public void step(PairList<String, Parameter> parameters) {
        stepArrays(arrays(parameters));
    }

    /** The parameters' arrays under their names, the form {@link #stepArrays} takes. */
    private static List<Pair<String, NDArray>> arrays(PairList<String, Parameter> parameters) {
        List<Pair<String, NDArray>> arrays = new java.util.ArrayList<>();
        for (Pair<String, Parameter> p : parameters) arrays.add(new Pair<>(p.getKey(), p.getValue().getArray()));
        return arrays;
    }

    /** One update of every named array from its accumulated gradient (a name keeps its moments across steps). */
    public void stepArrays(List<Pair<String, NDArray>> parameters) {
        int t = steps + 1;
        float lr = learningRate.getNewValue(steps);
        float corrected = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        if (!Float.isFinite(corrected)) throw new IllegalStateException("learning rate is not finite: " + lr);
        Autograd.noGrad(() -> {
            for (Pair<String, NDArray> p : parameters) {
                NDArray w = p.getValue();
                try (NDScope ignored = new NDScope()) {
                    NDArray g = w.getGradient();
                    NDArray[] mv = moments.computeIfAbsent(p.getKey(), k -> state(w));
                    mv[0].muli(beta1).addi(g.mul(1 - beta1));
                    mv[1].muli(beta2).addi(g.square().muli(1 - beta2));
                    w.subi(mv[0].div(mv[1].sqrt().addi(epsilon)).muli((float) (corrected * rateScale.applyAsDouble(p.getKey()))));
                    Autograd.zeroGrad(w);
                }
            }
            return null;
        });
        steps = t;
    }

    /**
     * True if every parameter's accumulated gradient is finite. One host read for all of them: the sum of each
     * gradient's squares, which is non-finite iff some entry is.
     */
    public static boolean finiteGradients(PairList<String, Parameter> parameters) {
        return finiteGradientsOf(arrays(parameters));
    }

    /** {@link #finiteGradients} for named arrays, the form {@link #stepArrays} takes. */
    public static boolean finiteGradientsOf(List<Pair<String, NDArray>> parameters) {
        return Autograd.noGrad(() -> {
            double total = 0;
            for (Pair<String, NDArray> p : parameters) {
                NDArray w = p.getValue();
                if (!w.hasGradient()) continue;
                try (NDScope ignored = new NDScope()) {
                    total += w.getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).square().sum().getDouble();
                }
            }
            return Double.isFinite(total);
        });
    }

    /**
     * Counts a step without moving anything: the gradients are cleared, the weights and moments stay, the schedule
     * advances (so a checkpoint's step count still matches its epoch).
     */
    public void skipStep(PairList<String, Parameter> parameters) {
        clearGradients(arrays(parameters));
        steps++;
    }

    /** Zeroes every array's accumulated gradient (arrays without one are left alone). */
    public static void clearGradients(List<Pair<String, NDArray>> parameters) {
        Autograd.noGrad(() -> {
            for (Pair<String, NDArray> p : parameters) if (p.getValue().hasGradient()) Autograd.zeroGrad(p.getValue());
            return null;
        });
    }

    private NDArray[] state(NDArray w) {
        NDArray m = manager.zeros(w.getShape(), w.getDataType(), w.getDevice());
        NDArray v = manager.zeros(w.getShape(), w.getDataType(), w.getDevice());
        NDScope.unregister(m, v); // state outlives the step's scope
        return new NDArray[] {m, v};
    }

    public void save(DataOutputStream os) throws IOException {
        os.writeInt(MAGIC);
        os.writeInt(steps);
        os.writeInt(moments.size());
        for (Map.Entry<String, NDArray[]> e : moments.entrySet()) {
            os.writeUTF(e.getKey());
            for (NDArray a : e.getValue()) {
                byte[] b = a.encode();
                os.writeInt(b.length);
                os.write(b);
            }
        }
        os.flush();
    }

    public void load(DataInputStream is) throws IOException, MalformedModelException {
        if (is.readInt() != MAGIC) throw new MalformedModelException("not an optimiser state file");
        int s = is.readInt(), n = is.readInt();
        if (s < 0 || n < 0) throw new MalformedModelException("corrupt optimiser state");
        for (NDArray[] mv : moments.values()) for (NDArray a : mv) a.close();
        moments.clear();
        for (int i = 0; i < n; i++) {
            String name = is.readUTF();
            NDArray[] mv = new NDArray[2];
            for (int k = 0; k < 2; k++) {
                byte[] b = new byte[is.readInt()];
                is.readFully(b);
                mv[k] = NDArray.decode(manager, b);
                NDScope.unregister(mv[k]);
            }
            moments.put(name, mv);
        }
        steps = s;
    }

    @Override
    public void close() {
        manager.close();
        moments.clear();
    }
}
