package io.equilibria.train;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.classify.ConvEquilibriumNet;
import io.equilibria.classify.EquilibriumNet;
import io.equilibria.compute.Compute;
import io.equilibria.models.ModelStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A few steps of conv LBEN training on the repository's 200 MNIST test digits, with the shipped model's settings
 * (16 channels, gamma 1, epsilon 2, margin 0.5, logit scale 4, 25 backward iterations). Regression: these runs
 * diverged within a few steps ("anderson ... diverged: the residual became NaN") because the backward pass through
 * the single-output-channel convolution of Uᵀ came out of oneDNN wrong or NaN (see compute/Convolutions).
 */
class ConvClassifierTrainerTest {
    private static final Path DIGITS = Path.of("sample-images", "mnist-test-200");

    private static IdxDataset digits() {
        return IdxDataset.read(DIGITS.resolve("t10k-images-idx3-ubyte.gz"), DIGITS.resolve("t10k-labels-idx1-ubyte.gz"), 200);
    }

    private static ConvClassifierTrainer.Config config(int epochs, int batch, double lr) {
        var net = new ConvEquilibriumNet.Config(EquilibriumNet.Kind.LBEN, 28, 28, 16, 10, 0.5, 1.0, 2.0, 1.5, 1e-3, 500, 2);
        return new ConvClassifierTrainer.Config(net, new ClassifierTrainer.Loop(epochs, batch, lr, 0, 2), new ClassifierTrainer.Margin(0.5, 4), 25);
    }

    /** Step losses and epoch summaries as the trainer reports them. */
    private static final class Recorder implements ClassifierTrainer.Listener {
        final List<Double> losses = new ArrayList<>();
        final List<Map<String, Object>> epochs = new ArrayList<>();

        @Override
        public void step(int epoch, int step, int steps, double loss, int iterations) { losses.add(loss); }

        @Override
        public void epoch(Map<String, Object> summary) { epochs.add(summary); }

        double meanLoss(int from, int to) {
            double s = 0;
            for (int i = from; i < to; i++) s += losses.get(i);
            return s / (to - from);
        }
    }

    @Test
    void fromScratchTheLossFallsWithoutDivergence() throws Exception {
        IdxDataset all = digits();
        IdxDataset train = all.slice(0, 160), test = all.slice(160, 200);
        Recorder r = new Recorder();
        try (NDManager m = Compute.manager(Device.cpu())) { // the engine first: withOneThread asks it for its threads
            TestSupport.withOneThread(() -> ConvClassifierTrainer.train(m, config(4, 32, 3e-3), train, test, r));
        }
        assertTrue(r.losses.size() == 20, "4 epochs of 5 steps, got " + r.losses.size());
        for (double l : r.losses) assertTrue(Double.isFinite(l), "losses " + r.losses);
        double first = r.meanLoss(0, 5), last = r.meanLoss(15, 20);
        assertTrue(last < first - 0.3, "mean loss of the first epoch " + first + ", of the last " + last + ": " + r.losses);
    }

    @Test
    void continuesFromTheShippedModel() throws Exception {
        IdxDataset all = digits();
        IdxDataset train = all.slice(0, 128), test = all.slice(128, 200);
        Recorder r = new Recorder();
        try (NDManager m = Compute.manager(Device.cpu())) {
            ConvEquilibriumNet init = (ConvEquilibriumNet) ModelStore.load(Path.of("models", "lben-conv-mnist.json"), m).block();
            TestSupport.withOneThread(() -> ConvClassifierTrainer.train(m, config(1, 32, 1e-3), train, test, r, init));
        }
        assertTrue(r.losses.size() == 4, "losses " + r.losses);
        for (double l : r.losses) assertTrue(Double.isFinite(l) && l < 2, "from a trained model the loss stays low: " + r.losses);
        @SuppressWarnings("unchecked")
        double accuracy = ((Number) ((Map<String, Object>) r.epochs.get(0).get("test")).get("accuracy")).doubleValue();
        assertTrue(accuracy >= 0.85, "accuracy on 72 held-out digits after 4 steps: " + accuracy);
    }
}
