package io.equilibria.train;

import io.equilibria.compute.Tensors;
import io.equilibria.compute.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.tracker.Tracker;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.classify.EquilibriumNet;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.deq.Equilibrium;
import io.equilibria.train.loop.AdamOptimizer;
import io.equilibria.train.loop.Epoch;
import io.equilibria.train.loop.HistoryListener;
import io.equilibria.train.loop.TrainingListener;
import io.equilibria.train.loop.TrainingLoop;
import io.equilibria.train.loop.TrainingStep;
import io.equilibria.train.loop.ValidationListener;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains an {@link EquilibriumNet} classifier with Adam on an IDX image set.
 *
 * <p><b>Gradient.</b> Exact implicit differentiation at the equilibrium z* = ReLU(Wz* + Ux + b): with D the ReLU's
 * derivative at the pre-activation, v = ∂ℓ/∂z* and g = (I − WᵀD)⁻¹v (solved by {@link EquilibriumNet#adjoint}, the
 * gradient of the model's {@link EquilibriumNet#layer}, a
 * Peaceman–Rachford iteration that converges for these models; a batched n×n inverse per sample took 1 s per step), the
 * parameter gradient is the vector–Jacobian product gᵀ ∂T/∂θ of one application T(z*) = ReLU(Wz* + Ux + b),
 * recorded with W built from the free parameters (so A, B or V, S, ψ all receive their gradients). I − DW is
 * invertible for every D ∈ [0, 1] because I − W is strongly monotone (in the Λ-metric for an LBEN).
 *
 * <p><b>Loss.</b> Cross-entropy of {@code scale}·(logits − κ·onehot(y)) with κ = √2·γ·ε_margin for an LBEN (Lipschitz
 * margin training: an LBEN whose true logit leads by κ is certified at radius ε_margin) and κ = 0 otherwise.
 * <b>Noise augmentation:</b> every training image gets N(0, σ²) noise (σ = {@code noiseSigma}), as Cohen et al. train
 * base classifiers for randomized smoothing.
 */
public final class ClassifierTrainer {
    private ClassifierTrainer() {}

    /**
     * The loss's margin: κ = √2·γ·{@code epsilon} for an LBEN (0 otherwise) and the logits' {@code scale}.
     */
    public record Margin(double epsilon, double scale) {
        /** No margin, unscaled logits: plain cross-entropy. */
        public static final Margin NONE = new Margin(0, 1);

        public Margin {
            if (!(epsilon >= 0) || !(scale > 0)) throw new IllegalArgumentException("bad training settings");
        }

        void put(Map<String, Object> m) {
            m.put("marginEpsilon", epsilon);
            m.put("logitScale", scale);
        }
    }

    public record Config(EquilibriumNet.Config net, Loop loop, Margin margin) {
        public long seed() { return loop.seed(); }

        public Map<String, Object> toMap() {
            Map<String, Object> m = loop.settings();
            margin.put(m);
            m.put("gradient", "implicit: g = (I - W^T D)^-1 dL/dz*, Peaceman-Rachford adjoint solve to the forward tolerance");
            m.put("forwardSolver", "Peaceman-Rachford alpha " + net.alpha() + ", tolerance " + net.tolerance());
            return m;
        }
    }

    public interface Listener {
        void step(int epoch, int step, int steps, double loss, int iterations);

        void epoch(Map<String, Object> summary);
    }

    public record Result(EquilibriumNet net, List<Map<String, Object>> history, Map<String, Object> validation, double seconds) {}

    public static Result train(NDManager manager, Config c, IdxDataset train, IdxDataset test, Listener listener) {
        EquilibriumNet net = new EquilibriumNet(c.net()).initialize(manager);
        int n = c.net().hidden(), d = c.net().inputDim(), classes = c.net().classes();
        if (train.height() * train.width() != d) throw new IllegalArgumentException("images are " + train.height() + "x" + train.width() + ", model expects " + d + " pixels");
        double kappa = marginOffset(c.net().kind(), c.net().gamma(), c.margin().epsilon());
        EquilibriumNet.Config solveCfg = c.net();
        Loop loop = c.loop();
        Loop.Outcome o = loop.run(manager, net, train, d, (sm, flat, labels) -> {
            NDArray x = Tensors.owned(sm.create(flat, new Shape(labels.length, d)));
            EquilibriumNet.Solution sol = Autograd.noGrad(() -> {
                EquilibriumNet.Operators ops = net.operators(sm, true);
                return EquilibriumNet.solve(ops, EquilibriumNet.Method.PR, 0, ops.inject(x), null, 0,
                        solveCfg.tolerance(), solveCfg.maxIterations());
            });
            NDArray z = Autograd.leaf(sol.z());
            double loss;
            try (GradientCollector gc = Compute.engine().newGradientCollector()) {
                NDArray l = marginLoss(net.operators(sm, false).logits(z), labels, classes, kappa, c.margin().scale());
                loss = l.getFloat();
                gc.backward(l);
                net.layer(sm).backward(x, new Equilibrium(sol.z(), null), z.getGradient(), false);
            }
            return new Loop.Step(loss, sol.iterations());
        }, epoch -> evaluate(net, test, c.loop().noiseSigma(), c.seed() + epoch), listener);
        return new Result(net, o.history(), o.validation(), o.seconds());
    }

    /** κ of the Lipschitz-margin loss: √2·γ·ε_margin for an LBEN (certified at radius ε_margin when the true logit leads by κ), else 0. */
    public static double marginOffset(EquilibriumNet.Kind kind, double gamma, double marginEpsilon) {
        return kind == EquilibriumNet.Kind.LBEN ? Math.sqrt(2) * gamma * marginEpsilon : 0;
    }

    /** Mean cross-entropy of scale·(logits − κ·onehot(labels)), on the logits' manager. */
    public static NDArray marginLoss(NDArray logits, int[] labels, int classes, double kappa, double scale) {
        NDManager m = logits.getManager();
        NDArray onehot = Tensors.owned(m.create(labels)).toType(DataType.INT64, false).oneHot(classes).toType(DataType.FLOAT32, false);
        NDArray adjusted = kappa > 0 ? logits.sub(onehot.mul(kappa)) : logits;
        NDArray scaled = scale == 1 ? adjusted : Scalars.times(adjusted, scale); // not mul(double): see Scalars
        return scaled.logSoftmax(1).mul(onehot).sum(new int[] {1}).mean().neg();
    }

    /**
     * The training loop both equilibrium classifiers share: Adam with a cosine learning rate to 1 %, a seeded shuffle per
     * epoch, Gaussian noise augmentation drawn from the same stream, one {@link StepFunction} per batch (which accumulates
     * the gradients), an evaluation and a summary per epoch.
     */
    public record Loop(int epochs, int batch, double learningRate, double noiseSigma, long seed) {
        public Loop {
            if (epochs < 1 || batch < 1) throw new IllegalArgumentException("epochs and batch must be >= 1");
            if (!(learningRate > 0) || !(noiseSigma >= 0)) throw new IllegalArgumentException("bad training settings");
        }

        /** Loss and forward solver iterations of one step. */
        public record Step(double loss, int iterations) implements TrainingStep.Outcome {}

        /** What the loop does, for a model card: optimizer and schedule, learning rate, epochs, batch, noise augmentation. */
        public Map<String, Object> settings() {
            return io.equilibria.models.ArchitectureFields.fields("optimizer", "Adam (beta1 0.9, beta2 0.999), cosine learning rate to 1%",
                    "learningRate", learningRate, "epochs", epochs, "batch", batch, "noiseAugmentationSigma", noiseSigma);
        }

        /** One batch: {@code flat} holds the noisy images (B × d), {@code labels} their classes; runs in {@code sm} and a scope. */
        @FunctionalInterface
        public interface StepFunction {
            Step run(NDManager sm, float[] flat, int[] labels);
        }

        public record Outcome(List<Map<String, Object>> history, Map<String, Object> validation, double seconds) {}

        public Outcome run(NDManager manager, ai.djl.nn.Block net, IdxDataset train, int d, StepFunction step,
                           java.util.function.IntFunction<Map<String, Object>> evaluate, Listener listener) {
            for (var p : net.getParameters()) p.getValue().getArray().setRequiresGradient(true);
            int steps = train.count() / batch;
            int total = steps * epochs;
            Tracker lr = s -> (float) (learningRate * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * Math.min(s, total) / total))));
            HistoryListener history = new HistoryListener();
            try (AdamOptimizer adam = new AdamOptimizer(manager, lr)) {
                Steps strategy = new Steps(this, manager, net, train, d, step, adam, steps);
                ValidationListener test = new ValidationListener(() -> evaluate.apply(strategy.epoch), null);
                TrainingListener<Step> progress = new TrainingListener<>() {
                    @Override
                    public void onStepEnd(StepEnd<? extends Step> s) {
                        listener.step(s.epoch(), s.step(), s.stepsPerEpoch(), s.outcome().loss(), s.outcome().iterations());
                    }

                    @Override
                    public void onEpochEnd(Epoch e) { listener.epoch(e.summary()); }
                };
                new TrainingLoop<>(new TrainingLoop.Plan(epochs, steps, Integer.MAX_VALUE, false), strategy,
                        List.<TrainingListener<? super Step>>of(test, history, progress)).run(0);
            }
            for (var p : net.getParameters()) p.getValue().getArray().setRequiresGradient(false);
            Map<String, Object> validation = history.last("test");
            return new Outcome(history.history(), validation == null ? Map.of() : validation, history.seconds());
        }

        /** A seeded shuffle per epoch, noise from the same stream, then the step function and Adam in a sub-manager. */
        private static final class Steps implements TrainingStep<Step> {
            private final Loop loop;
            private final NDManager manager;
            private final ai.djl.nn.Block net;
            private final IdxDataset train;
            private final int d, steps;
            private final StepFunction step;
            private final AdamOptimizer adam;
            private final SplittableRandom random;
            private int epoch, s;
            private int[] order;
            private double iterSum;

            Steps(Loop loop, NDManager manager, ai.djl.nn.Block net, IdxDataset train, int d, StepFunction step, AdamOptimizer adam, int steps) {
                this.loop = loop;
                this.manager = manager;
                this.net = net;
                this.train = train;
                this.d = d;
                this.step = step;
                this.adam = adam;
                this.steps = steps;
                this.random = new SplittableRandom(loop.seed());
            }

            @Override
            public void beginEpoch(int e) {
                epoch = e;
                s = 0;
                iterSum = 0;
                order = permutation(train.count(), random);
            }

            @Override
            public Step step(long global) {
                int batch = loop.batch();
                double noiseSigma = loop.noiseSigma();
                int first = s * batch;
                float[] flat = flatten(train, batch, i -> order[first + i], d, noiseSigma, random);
                int[] labels = new int[batch];
                for (int i = 0; i < batch; i++) labels[i] = train.labels()[order[first + i]];
                s++;
                Step r;
                try (NDManager sm = manager.newSubManager(); NDScope ignored = new NDScope()) {
                    r = step.run(sm, flat, labels);
                    adam.step(net.getParameters());
                }
                if (!Double.isFinite(r.loss())) throw new IllegalStateException("training loss is not finite at epoch " + epoch + " step " + s);
                iterSum += r.iterations();
                return r;
            }

            @Override
            public void summarise(Epoch e) {
                e.summary().put("meanTrainIterations", iterSum / steps);
                e.summary().put("seconds", e.seconds());
                e.summary().put("test", e.validation());
            }
        }
    }

    /** Clean accuracy, accuracy under N(0, σ²) noise (when σ &gt; 0) and mean solver iterations on a labelled set. */
    public static Map<String, Object> evaluate(EquilibriumNet net, IdxDataset set, double sigma, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        Predictions clean = predict(net, set, 0, seed);
        m.put("images", set.count());
        m.put("accuracy", accuracy(clean.labels(), set.labels()));
        m.put("meanIterations", clean.meanIterations());
        if (sigma > 0) {
            m.put("noisySigma", sigma);
            m.put("noisyAccuracy", accuracy(predict(net, set, sigma, seed).labels(), set.labels()));
        }
        return m;
    }

    /** Predicted labels and the solver's mean iterations per batch. */
    public record Predictions(int[] labels, double meanIterations) {}

    /** Labels of a set (with N(0, σ²) noise when σ &gt; 0), solved with the model's configured solver. */
    public static Predictions predict(EquilibriumNet net, IdxDataset set, double sigma, long seed) {
        int d = net.config().inputDim(), bs = 1000;
        int[] out = new int[set.count()];
        SplittableRandom r = new SplittableRandom(seed);
        long iters = 0;
        int batches = 0;
        NDManager parent = net.parameter("U").getManager();
        double fb = net.config().method() == EquilibriumNet.Method.FB ? net.forwardBackwardStep() : 0;
        for (int start = 0; start < set.count(); start += bs) {
            final int b = Math.min(bs, set.count() - start), at = start;
            float[] flat = flatten(set, b, i -> at + i, d, sigma, r);
            try (NDManager sm = parent.newSubManager()) {
                EquilibriumNet.Solution s = Autograd.noGrad(() -> {
                    EquilibriumNet.Operators ops = net.operators(sm, net.config().method() == EquilibriumNet.Method.PR);
                    EquilibriumNet.Solution sol = net.solve(ops, ops.inject(Tensors.owned(sm.create(flat, new Shape(b, d)))), fb);
                    System.arraycopy(io.equilibria.compute.Tensors.toInts(ops.logits(sol.z()).argMax(1)), 0, out, at, b);
                    return sol;
                });
                iters += s.iterations();
                batches++;
            }
        }
        return new Predictions(out, batches == 0 ? 0 : iters / (double) batches);
    }

    /** Images {@code index(0)} … {@code index(b − 1)} of a set as one b × d array, with N(0, σ²) noise from {@code r} when σ &gt; 0. */
    static float[] flatten(IdxDataset set, int b, java.util.function.IntUnaryOperator index, int d, double sigma, SplittableRandom r) {
        float[] flat = new float[b * d];
        for (int i = 0; i < b; i++) {
            float[] img = set.images()[index.applyAsInt(i)];
            for (int j = 0; j < d; j++) flat[i * d + j] = (float) (img[j] + (sigma > 0 ? sigma * r.nextGaussian() : 0));
        }
        return flat;
    }

    public static double accuracy(int[] predicted, int[] labels) {
        int ok = 0;
        for (int i = 0; i < predicted.length; i++) if (predicted[i] == labels[i]) ok++;
        return predicted.length == 0 ? Double.NaN : ok / (double) predicted.length;
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

    static String format(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
