package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.tracker.Tracker;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.certify.deq.ConvEquilibriumNet;
import io.equilibria.certify.deq.EquilibriumNet;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.Equilibrium;
import io.equilibria.deq.GradientMode;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.Solvers;

import java.util.ArrayList;
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

    public record Config(ConvEquilibriumNet.Config net, int epochs, int batch, double learningRate, double noiseSigma,
                         double marginEpsilon, double logitScale, int backwardIterations, long seed) {
        public Config {
            if (epochs < 1 || batch < 1 || backwardIterations < 1) throw new IllegalArgumentException("epochs, batch and backward iterations must be >= 1");
            if (!(learningRate > 0) || !(noiseSigma >= 0) || !(marginEpsilon >= 0) || !(logitScale > 0))
                throw new IllegalArgumentException("bad training settings");
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("optimizer", "Adam (beta1 0.9, beta2 0.999), cosine learning rate to 1%");
            m.put("learningRate", learningRate);
            m.put("epochs", epochs);
            m.put("batch", batch);
            m.put("noiseAugmentationSigma", noiseSigma);
            m.put("marginEpsilon", marginEpsilon);
            m.put("logitScale", logitScale);
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
        ConvEquilibriumNet net = new ConvEquilibriumNet(c.net()).initialize(manager);
        if (init != null) {
            for (var p : net.getParameters()) p.getValue().getArray().set(init.parameter(p.getKey()).toFloatArray());
        }
        for (var p : net.getParameters()) p.getValue().getArray().setRequiresGradient(true);
        var nc = c.net();
        int d = nc.inputDim(), classes = nc.classes();
        if (train.height() != nc.height() || train.width() != nc.width()) throw new IllegalArgumentException("image size does not match the model");
        int steps = train.count() / c.batch();
        int total = steps * c.epochs();
        Tracker lr = step -> (float) (c.learningRate() * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * Math.min(step, total) / total))));
        double kappa = nc.kind() == EquilibriumNet.Kind.LBEN ? Math.sqrt(2) * nc.gamma() * c.marginEpsilon() : 0;
        List<Map<String, Object>> history = new ArrayList<>();
        long t0 = System.nanoTime();
        SplittableRandom random = new SplittableRandom(c.seed());
        GradientMode ift = new GradientMode.Implicit(Solvers.parse("anderson"),
                GradientMode.defaultBackwardOptions().withTolerance(1e-4).withMaxIterations(c.backwardIterations()).withBatched(true).withDivergencePatience(50));
        try (AdamOptimizer adam = new AdamOptimizer(manager, lr)) {
            for (int epoch = 1; epoch <= c.epochs(); epoch++) {
                long te = System.nanoTime();
                int[] order = permutation(train.count(), random);
                double lossSum = 0;
                long iterSum = 0;
                for (int s = 0; s < steps; s++) {
                    float[] flat = new float[c.batch() * d];
                    int[] labels = new int[c.batch()];
                    for (int i = 0; i < c.batch(); i++) {
                        int k = order[s * c.batch() + i];
                        labels[i] = train.labels()[k];
                        float[] img = train.images()[k];
                        for (int j = 0; j < d; j++) {
                            flat[i * d + j] = (float) (img[j] + (c.noiseSigma() > 0 ? c.noiseSigma() * random.nextGaussian() : 0));
                        }
                    }
                    double loss;
                    int iterations;
                    try (NDManager sm = manager.newSubManager(); NDScope ignored = new NDScope()) {
                        NDArray x = sm.create(flat, new Shape(c.batch(), 1, nc.height(), nc.width()));
                        NDArray y = sm.create(labels).toType(DataType.INT64, false);
                        ConvEquilibriumNet.Operators fwd = Autograd.noGrad(() -> net.operators(sm));
                        double alpha = fwd.alpha();
                        Solution sol = Autograd.noGrad(() -> net.solve(fwd, fwd.inject(x), null, nc.tolerance(), nc.maxIterations()));
                        iterations = sol.iterations();
                        DeqLayer layer = new DeqLayer((z, xx) -> {
                            ConvEquilibriumNet.Operators o = net.operators(sm, alpha);
                            return o.fb(z, o.inject(xx));
                        }, Solvers.parse("anderson"), ConvEquilibriumNet.solveOptions(nc.tolerance(), nc.maxIterations()), ift);
                        Equilibrium eq = new Equilibrium(sol.z(), sol);
                        try (GradientCollector gc = Compute.engine().newGradientCollector()) {
                            NDArray z = Autograd.leaf(sol.z());
                            ConvEquilibriumNet.Operators head = net.operators(sm, alpha);
                            NDArray logits = head.logits(z);
                            NDArray onehot = y.oneHot(classes).toType(DataType.FLOAT32, false);
                            NDArray adjusted = kappa > 0 ? logits.sub(onehot.mul(kappa)) : logits;
                            NDArray l = adjusted.mul(c.logitScale()).logSoftmax(1).mul(onehot).sum(new int[] {1}).mean().neg();
                            loss = l.getFloat();
                            gc.backward(l);
                            NDArray v = z.getGradient().duplicate();
                            layer.backward(x, eq, v, false);
                        }
                        adam.step(net.getParameters());
                    }
                    if (!Double.isFinite(loss)) throw new IllegalStateException("training loss is not finite at epoch " + epoch + " step " + (s + 1));
                    lossSum += loss;
                    iterSum += iterations;
                    listener.step(epoch, s + 1, steps, loss, iterations);
                }
                Map<String, Object> ev = evaluate(net, test, c.noiseSigma(), c.seed() + epoch);
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("epoch", epoch);
                summary.put("loss", lossSum / steps);
                summary.put("meanTrainIterations", iterSum / (double) steps);
                summary.put("seconds", (System.nanoTime() - te) / 1e9);
                summary.put("test", ev);
                history.add(summary);
                listener.epoch(summary);
            }
        }
        for (var p : net.getParameters()) p.getValue().getArray().setRequiresGradient(false);
        @SuppressWarnings("unchecked")
        Map<String, Object> validation = history.isEmpty() ? Map.of() : (Map<String, Object>) history.get(history.size() - 1).get("test");
        return new Result(net, history, validation, (System.nanoTime() - t0) / 1e9);
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
                float[] flat = new float[b * d];
                for (int i = 0; i < b; i++) {
                    float[] img = set.images()[start + i];
                    for (int j = 0; j < d; j++) flat[i * d + j] = (float) (img[j] + (sigma > 0 ? sigma * r.nextGaussian() : 0));
                }
                try (NDManager sm = parent.newSubManager()) {
                    Solution s = Autograd.noGrad(() -> {
                        NDArray inj = ops.inject(sm.create(flat, new Shape(b, 1, nc.height(), nc.width())));
                        Solution sol = net.solve(ops, inj, null, nc.tolerance(), nc.maxIterations());
                        System.arraycopy(ClassifierTrainer.toInts(ops.logits(sol.z()).argMax(1)), 0, out, at, b);
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

    private static int[] permutation(int n, SplittableRandom r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
