package io.equilibria.train;

import io.equilibria.compute.Tensors;
import io.equilibria.classify.geq.GeqNet;
import io.equilibria.classify.geq.GeqClassifier;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.deq.Equilibrium;
import io.equilibria.solvers.Solution;
import io.equilibria.train.ClassifierTrainer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a {@link GeqNet} (Gaussian or linear kernel) with the loop the other equilibrium classifiers use
 * ({@link ClassifierTrainer.Loop}: Adam, cosine schedule, seeded shuffle, optional noise augmentation). Per step: the
 * equilibrium by Anderson without a graph, then the phantom gradient — {@code phantomSteps} recorded damped FB steps
 * from the detached equilibrium, cross-entropy on their logits, back-propagation.
 */
public final class GeqTrainer {
    private GeqTrainer() {}

    public record Config(GeqNet.Config net, ClassifierTrainer.Loop loop) {
        public long seed() { return loop.seed(); }

        public Map<String, Object> toMap() {
            Map<String, Object> m = loop.settings();
            m.put("gradient", "phantom gradient: " + net.phantomSteps() + " recorded damped FB steps (lambda " + net.phantomDamping() + ") from the detached equilibrium");
            m.put("forwardSolver", "forward-backward + Anderson(m=5), alpha = " + net.alphaScale() + "/L, relative tolerance " + net.tolerance() + ", max " + net.maxIterations());
            m.put("gamma", net.describeGamma());
            return m;
        }
    }

    public record Result(GeqNet net, List<Map<String, Object>> history, Map<String, Object> validation, double seconds) {}

    public static Result train(NDManager manager, Config c, IdxDataset train, IdxDataset test, ClassifierTrainer.Listener listener) {
        GeqNet net = new GeqNet(c.net()).initialize(manager);
        var nc = c.net();
        int d = nc.inputDim();
        if (train.height() != nc.height() || train.width() != nc.width()) throw new IllegalArgumentException("image size does not match the model");
        ClassifierTrainer.Loop loop = c.loop();
        ClassifierTrainer.Loop.Outcome o = loop.run(manager, net, train, d, (sm, flat, labels) -> step(net, sm, flat, labels),
                epoch -> evaluate(net, test), listener);
        return new Result(net, o.history(), o.validation(), o.seconds());
    }

    /** One step's loss and forward iterations; accumulates the parameters' gradients. */
    public static ClassifierTrainer.Loop.Step step(GeqNet net, NDManager sm, float[] flat, int[] labels) {
        var nc = net.config();
        double loss;
        int iterations;
        try (GradientCollector gc = Compute.engine().newGradientCollector()) {
            GeqNet.Operators ops = net.operators(sm);
            NDList xs = Autograd.noGrad(() -> ops.patches(Tensors.owned(sm.create(flat, new Shape(labels.length, nc.inputDim())))));
            Solution sol = ops.solve(xs, null, nc.tolerance(), nc.maxIterations());
            iterations = sol.iterations();
            NDArray z = Autograd.leaf(sol.z());
            NDArray l = ClassifierTrainer.marginLoss(ops.logits(z), labels, nc.classes(), 0, 1);
            loss = l.getFloat();
            gc.backward(l);
            ops.layer(xs).backward(xs.get(0), new Equilibrium(sol.z(), sol), z.getGradient(), false);
        }
        return new ClassifierTrainer.Loop.Step(loss, iterations);
    }

    /** Test accuracy, mean solver iterations per batch and unconverged batches on a labelled set. */
    public static Map<String, Object> evaluate(GeqNet net, IdxDataset set) {
        Map<String, Object> m = new LinkedHashMap<>();
        try (GeqClassifier c = new GeqClassifier(net)) {
            int[] predicted = new int[set.count()];
            int bs = 500;
            for (int start = 0; start < set.count(); start += bs) {
                int b = Math.min(bs, set.count() - start);
                float[][] batch = new float[b][];
                System.arraycopy(set.images(), start, batch, 0, b);
                System.arraycopy(c.classify(batch), 0, predicted, start, b);
            }
            m.put("images", set.count());
            m.put("accuracy", ClassifierTrainer.accuracy(predicted, set.labels()));
            m.put("meanIterations", c.meanIterations());
            m.put("unconvergedBatches", c.unconvergedBatches());
        }
        return m;
    }
}
