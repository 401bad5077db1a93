package io.equilibria.train;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.classify.ConvEquilibriumNet;
import io.equilibria.classify.EquilibriumNet;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.Equilibrium;
import io.equilibria.solvers.Solution;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a {@link ConvEquilibriumNet} with Adam on an IDX image set. Forward: FB + Anderson to the model's tolerance
 * (no graph). Backward: a {@link DeqLayer} whose cell is the FB map T(z, x) = ReLU(z − α((I−W)z − Ux − b)) (α fixed
 * per step; the fixed point and so the gradient do not depend on it) with implicit differentiation ("ift", Anderson);
 * the head G, b_y gets its gradient directly. Loss as {@link ClassifierTrainer}: cross-entropy of
 * scale·(logits − κ·onehot), κ = √2·γ·ε_margin for an LBEN, 0 for a MonDEQ; optional Gaussian noise augmentation.
 */
public final class ConvClassifierTrainer {
    private ConvClassifierTrainer() {}

    /** @param backwardIterations at most this many iterations of the implicit backward solve */
    public record Config(ConvEquilibriumNet.Config net, ClassifierTrainer.Loop loop, ClassifierTrainer.Margin margin,
                         int backwardIterations) {
        public Config {
            if (backwardIterations < 1) throw new IllegalArgumentException("backward iterations must be >= 1");
        }

        public long seed() { return loop.seed(); }

        public Map<String, Object> toMap() {
            Map<String, Object> m = loop.settings();
            margin.put(m);
            m.put("gradient", "implicit (DeqLayer, ift with Anderson on the FB map, relative tolerance 1e-4, max " + backwardIterations + ")");
            m.put("forwardSolver", "forward-backward + Anderson(m=5), alpha = " + net.alphaScale() + " mu/L^2, tolerance " + net.tolerance());
            return m;
        }
    }

    public record Result(ConvEquilibriumNet net, List<Map<String, Object>> history, Map<String, Object> validation, double seconds) {}

    public static Result train(NDManager manager, Config c, IdxDataset train, IdxDataset test, ClassifierTrainer.Listener listener) {
        return train(manager, c, train, test, listener, null);
    }

    /** As {@link #train(NDManager, Config, IdxDataset, IdxDataset, ClassifierTrainer.Listener)}, starting from the weights of {@code init} (same config) when not null. */
    public static Result train(NDManager manager, Config c, IdxDataset train, IdxDataset test, ClassifierTrainer.Listener listener, ConvEquilibriumNet init) {
        ConvEquilibriumNet net = new ConvEquilibriumNet(c.net(),
                ConvEquilibriumNet.defaultSolver(c.net()).withBackward(1e-4, c.backwardIterations())).initialize(manager);
        if (init != null) {
            for (var p : net.getParameters()) p.getValue().getArray().set(init.parameter(p.getKey()).toFloatArray());
        }
        var nc = c.net();
        int d = nc.inputDim(), classes = nc.classes();
        if (train.height() != nc.height() || train.width() != nc.width()) throw new IllegalArgumentException("image size does not match the model");
        double kappa = ClassifierTrainer.marginOffset(nc.kind(), nc.gamma(), c.margin().epsilon());
        ClassifierTrainer.Loop loop = c.loop();
        ClassifierTrainer.Loop.Outcome o = loop.run(manager, net, train, d, (sm, flat, labels) -> {
            NDArray x = Tensors.owned(sm.create(flat, new Shape(labels.length, 1, nc.height(), nc.width())));
            ConvEquilibriumNet.Operators fwd = Autograd.noGrad(() -> net.operators(sm));
            double alpha = fwd.alpha();
            Solution sol = Autograd.noGrad(() -> net.solve(fwd, fwd.inject(x), null, nc.tolerance(), nc.maxIterations()));
            DeqLayer layer = net.layer(sm, alpha);
            Equilibrium eq = new Equilibrium(sol.z(), sol);
            double loss;
            try (GradientCollector gc = Compute.engine().newGradientCollector()) {
                NDArray z = Autograd.leaf(sol.z());
                NDArray l = ClassifierTrainer.marginLoss(net.operators(sm, alpha).logits(z), labels, classes, kappa, c.margin().scale());
                loss = l.getFloat();
                gc.backward(l);
                NDArray v = z.getGradient().duplicate();
                layer.backward(x, eq, v, false);
            }
            return new ClassifierTrainer.Loop.Step(loss, sol.iterations());
        }, epoch -> evaluate(net, test, c.loop().noiseSigma(), c.seed() + epoch), listener);
        return new Result(net, o.history(), o.validation(), o.seconds());
    }

    /** Clean accuracy (and under N(0, σ²) noise when σ &gt; 0) and mean solver iterations. */
    public static Map<String, Object> evaluate(ConvEquilibriumNet net, IdxDataset set, double sigma, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        double[] it = new double[1];
        m.put("images", set.count());
        m.put("accuracy", ClassifierTrainer.accuracy(predict(net, set, 0, seed, it), set.labels()));
        m.put("meanIterations", it[0]);
        if (sigma > 0) {
            m.put("noisySigma", sigma);
            m.put("noisyAccuracy", ClassifierTrainer.accuracy(predict(net, set, sigma, seed, it), set.labels()));
        }
        return m;
    }

    /** Labels of a set (with N(0, σ²) noise when σ &gt; 0); {@code meanIterations[0]} receives the mean solver iterations. */
    public static int[] predict(ConvEquilibriumNet net, IdxDataset set, double sigma, long seed, double[] meanIterations) {
        var nc = net.config();
        int d = nc.inputDim(), bs = 500;
        int[] out = new int[set.count()];
        SplittableRandom r = new SplittableRandom(seed);
        long iters = 0;
        int batches = 0;
        try (NDManager parent = net.parameter("U").getManager().newSubManager()) {
            ConvEquilibriumNet.Operators ops = Autograd.noGrad(() -> net.operators(parent));
            for (int start = 0; start < set.count(); start += bs) {
                final int b = Math.min(bs, set.count() - start), at = start;
                float[] flat = ClassifierTrainer.flatten(set, b, i -> at + i, d, sigma, r);
                try (NDManager sm = parent.newSubManager()) {
                    Solution s = Autograd.noGrad(() -> {
                        NDArray inj = ops.inject(Tensors.owned(sm.create(flat, new Shape(b, 1, nc.height(), nc.width()))));
                        Solution sol = net.solve(ops, inj, null, nc.tolerance(), nc.maxIterations());
                        System.arraycopy(io.equilibria.compute.Tensors.toInts(ops.logits(sol.z()).argMax(1)), 0, out, at, b);
                        return sol;
                    });
                    iters += s.iterations();
                    batches++;
                }
            }
        }
        meanIterations[0] = batches == 0 ? 0 : iters / (double) batches;
        return out;
    }
}
