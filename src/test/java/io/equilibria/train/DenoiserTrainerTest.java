package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import io.equilibria.image.Plane;
import io.equilibria.priors.DnCnn;
import io.equilibria.train.data.CameraModel;
import io.equilibria.train.data.PatchSampler;
import io.equilibria.train.data.PhantomGenerator;
import io.equilibria.train.loop.AdamOptimizer;
import io.equilibria.train.loop.OptimizerConfig;
import io.equilibria.train.loop.ScheduleConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DenoiserTrainerTest {
    @TempDir
    Path dir;
    private NDManager m;

    @BeforeEach
    void open() {
        m = TestSupport.manager().newSubManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    /** A few 48 px textures (cropping them is much cheaper than drawing 256 px phantom canvases). */
    static Path textures(Path dir) throws java.io.IOException {
        Path data = dir.resolve("textures");
        Files.createDirectories(data);
        java.util.Random r = new java.util.Random(1);
        for (String name : List.of("t1", "t2", "t3", "t4", "t5", "t6")) {
            float[] v = new float[48 * 48];
            double fx = 0.1 + 0.5 * r.nextDouble(), fy = 0.1 + 0.5 * r.nextDouble(), ph = 6 * r.nextDouble();
            for (int y = 0; y < 48; y++)
                for (int x = 0; x < 48; x++)
                    v[y * 48 + x] = (float) (0.5 + 0.3 * Math.sin(fx * x + ph) * Math.cos(fy * y) + 0.1 * r.nextDouble());
            ij.process.FloatProcessor fp = new ij.process.FloatProcessor(48, 48, v);
            fp.setMinAndMax(0, 1);
            new ij.io.FileSaver(new ij.ImagePlus(name, fp.convertToByteProcessor())).saveAsPng(data.resolve(name + ".png").toString());
        }
        return data;
    }

    /** 16 px patches of {@code data} only, a 3 × 4 network, 2 validation images of 32 px: a few seconds. */
    static DenoiserTrainer.Config tiny(Path data, int epochs, int steps, long seed) {
        return new DenoiserTrainer.Config(DnCnn.Config.defaults().withDepth(3).withWidth(4).withNormSize(16),
                new DataConfig(16, 4, data, 0.0, DataConfig.DEFAULT_EXCLUDE, 0.3, 2, 32), new ScheduleConfig(epochs, steps),
                new OptimizerConfig(5e-3, "cosine"), new TrainingNoise(0.1, 0.3), seed);
    }

    private static List<float[]> parameters(ai.djl.nn.Block net) {
        List<float[]> l = new ArrayList<>();
        for (Pair<String, Parameter> p : net.getParameters()) l.add(p.getValue().getArray().toFloatArray());
        return l;
    }

    private static void assertSameParameters(List<float[]> a, List<float[]> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.get(i), b.get(i), 0f, "parameter " + i);
    }

    @Test
    void aFewStepsOnOneBatchReduceTheLoss() {
        DenoiserTrainer.Config c = tiny(null, 1, 1, 3);
        DnCnn net = new DnCnn((DnCnn.Config) c.net());
        net.initialize(m);
        net.scaleKernelsToBound(50);
        DenoiserTrainer.setTrainable(net, true);
        DenoiserTrainer.Batch b = DenoiserTrainer.batch(c, PatchSampler.fromPhantoms(new PhantomGenerator()),
                new TrainingNoise(0.1, 0.3), 0);
        ParameterStore ps = new ParameterStore(m, false);
        try (AdamOptimizer adam = new AdamOptimizer(m, Tracker.fixed(1e-2f))) {
            double first = DenoiserTrainer.trainStep(net, ps, adam, b, m);
            // on this project's AMD machines some JVMs give NaN steps (README, "Native memory": open); the trainer
            // skips such a step and counts it, and so does this test, a few times at most
            int skipped = 0, retried = 0;
            if (Double.isNaN(first)) {
                skipped++;
                retried = 1;
                first = DenoiserTrainer.trainStep(net, ps, adam, b, m);
            }
            assertTrue(Double.isFinite(first), "two non-finite steps in a row");
            double last = first;
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 30; i++) {
                double l = DenoiserTrainer.trainStep(net, ps, adam, b, m);
                if (Double.isNaN(l)) skipped++;
                else last = l;
            }
            System.out.printf("loss %.4e -> %.4e (%d skipped)%n", first, last, skipped);
            assertTrue(skipped <= 3, skipped + " of " + (31 + retried) + " steps skipped");
            assertTrue(last < 0.8 * first, first + " -> " + last);
            assertEquals(before, m.getManagedArrays().size(), "memory stays flat across steps");
            assertEquals(31 + retried, adam.steps(), "a skipped step still counts");
        }
    }

    @Test
    void aBatchWithANonFiniteLossIsSkippedWithoutTouchingTheWeights() {
        DenoiserTrainer.Config c = tiny(null, 1, 1, 3);
        DnCnn net = new DnCnn((DnCnn.Config) c.net());
        net.initialize(m);
        DenoiserTrainer.setTrainable(net, true);
        DenoiserTrainer.Batch b = DenoiserTrainer.batch(c, PatchSampler.fromPhantoms(new PhantomGenerator()),
                new TrainingNoise(0.1, 0.3), 0);
        float[] noisy = b.noisy().clone();
        noisy[5] = Float.NaN;
        DenoiserTrainer.Batch bad = new DenoiserTrainer.Batch(noisy, b.clean(), b.sigma(), b.count(), b.side());
        ParameterStore ps = new ParameterStore(m, false);
        try (AdamOptimizer adam = new AdamOptimizer(m, Tracker.fixed(1e-2f))) {
            DenoiserTrainer.trainStep(net, ps, adam, b, m);
            List<float[]> before = parameters(net);
            assertTrue(Double.isNaN(DenoiserTrainer.trainStep(net, ps, adam, bad, m)));
            assertSameParameters(before, parameters(net));
            assertEquals(2, adam.steps(), "the skipped step still counts (the schedule and checkpoints stay aligned)");
            for (float[] w : parameters(net)) for (float v : w) assertTrue(Float.isFinite(v), "no NaN reached the weights");
            // (not asserted: that the next good batch gives a finite loss. In the full suite on this project's AMD
            // machines one such step came out NaN once, the unexplained random NaN the README describes.)
        }
    }

    /**
     * Bit-identical runs need one intra-op thread: with two, oneDNN's convolution gradients were not reproducible on a
     * busy 2-core machine (weights 0.1381 vs 0.1384 after 6 steps). The README tells trainers to use one thread.
     */
    @Test
    void theSameSeedGivesTheSameWeightsAndResumingContinuesExactly() throws Exception {
        TestSupport.withOneThread(this::sameSeedAndResume);
    }

    private void sameSeedAndResume() throws Exception {
        Path data = textures(dir);
        DenoiserTrainer.Listener quiet = new DenoiserTrainer.Listener() {};
        DenoiserTrainer.Result a = DenoiserTrainer.train(m, tiny(data, 2, 3, 11), null, false, quiet);
        DenoiserTrainer.Result b = DenoiserTrainer.train(m, tiny(data, 2, 3, 11), null, false, quiet);
        assertSameParameters(parameters(a.net()), parameters(b.net()));
        DnCnn other = new DnCnn((DnCnn.Config) tiny(data, 2, 3, 12).net()).initialize(m);
        assertFalse(java.util.Arrays.equals(parameters(a.net()).get(0), parameters(other).get(0)), "another seed");
        assertEquals(a.validation(), b.validation());
        assertEquals(2, a.history().size());

        // killed after the first epoch's checkpoint, then resumed: the same weights as the uninterrupted run
        Path ck = dir.resolve("ck");
        assertThrows(IllegalStateException.class, () -> DenoiserTrainer.train(m, tiny(data, 2, 3, 11), ck, false,
                new DenoiserTrainer.Listener() {
                    @Override public void epoch(Map<String, Object> summary) { throw new IllegalStateException("killed"); }
                }));
        assertTrue(Files.isRegularFile(ck.resolve("checkpoint.json")));
        List<String> messages = new ArrayList<>();
        DenoiserTrainer.Result resumed = DenoiserTrainer.train(m, tiny(data, 2, 3, 11), ck, true, new DenoiserTrainer.Listener() {
            @Override public void message(String text) { messages.add(text); }
        });
        assertTrue(messages.stream().anyMatch(s -> s.contains("resumed") && s.contains("after epoch 1")), messages.toString());
        assertSameParameters(parameters(a.net()), parameters(resumed.net()));
        assertEquals(a.history().get(1).get("validation"), resumed.history().get(1).get("validation"));
        // other settings cannot resume this checkpoint
        assertThrows(IllegalArgumentException.class, () -> DenoiserTrainer.train(m, tiny(data, 3, 4, 11), ck, true, quiet));
    }

    @Test
    void adamMatchesDjlsAdam() {
        NDArray w1 = TestSupport.random(m, new Shape(3, 4), 1), w2 = w1.duplicate();
        w1.setRequiresGradient(true);
        Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).optArray(w1).build();
        ai.djl.util.PairList<String, Parameter> list = new ai.djl.util.PairList<>();
        list.add("w", p);
        Optimizer djl = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.01f)).build();
        try (AdamOptimizer ours = new AdamOptimizer(m, Tracker.fixed(0.01f))) {
            for (int t = 0; t < 5; t++) {
                NDArray g = TestSupport.random(m, new Shape(3, 4), 10 + t);
                Autograd.recording(() -> {
                    Autograd.backward(w1.mul(g).sum(), m.ones(new Shape()), false, false);
                    return null;
                });
                ours.step(list);
                djl.update("w", w2, g);
            }
        }
        assertArrayEquals(w2.toFloatArray(), w1.toFloatArray(), 1e-6f);
    }

    @Test
    void cameraNoiseHasTheStatedEquivalentSigma() {
        Plane clean = new PhantomGenerator().generate(128, 5);
        TrainingNoise noise = new TrainingNoise(0.1, 1.0); // camera only
        for (long seed = 1; seed <= 3; seed++) {
            TrainingNoise.Noisy n = noise.apply(clean, new SplittableRandom(seed));
            assertTrue(n.camera());
            double s = 0;
            for (int i = 0; i < clean.data().length; i++) {
                double d = n.image().data()[i] - clean.data()[i];
                s += d * d;
            }
            double rms = Math.sqrt(s / clean.data().length);
            assertEquals(n.sigma(), rms, 0.1 * n.sigma(), "seed " + seed);
            assertTrue(n.sigma() >= TrainingNoise.CAMERA_SIGMA_MIN * 0.99 && n.sigma() <= 0.1 * 1.01, "sigma " + n.sigma());
        }
        // P from the closed form gives back the target sigma at the mean intensity
        double p = TrainingNoise.photonsFor(0.03, 0.2);
        assertEquals(0.03, CameraModel.of(p, 0).sigma(0.2), 1e-9);
        TrainingNoise.Noisy g = new TrainingNoise(0.1, 0.0).apply(clean, new SplittableRandom(1));
        assertFalse(g.camera());
        assertTrue(g.sigma() >= 0 && g.sigma() <= 0.1);
    }

    @Test
    void evaluationImagesAreExcludedAndValidationFilesHeldOut() throws Exception {
        Path data = dir.resolve("natural");
        Files.createDirectories(data);
        for (String name : List.of("pywt_camera", "skimage_cell_qpi", "a", "b", "c", "d", "e", "f", "g", "h")) {
            Plane p = new PhantomGenerator().generate(48, name.hashCode());
            ij.process.FloatProcessor fp = new ij.process.FloatProcessor(48, 48, p.data());
            new ij.io.FileSaver(new ij.ImagePlus(name, fp.convertToByteProcessor())).saveAsPng(data.resolve(name + ".png").toString());
        }
        TrainingData d = TrainingData.prepare(new DataConfig(16, 4, data, 0.5, DataConfig.DEFAULT_EXCLUDE, 0.3, 2, 32), text -> {});
        @SuppressWarnings("unchecked")
        Map<String, Object> folder = d.sources().stream().filter(s -> s.get("kind").equals("folder")).findFirst().orElseThrow();
        assertEquals(List.of("pywt_camera.png", "skimage_cell_qpi.png"), folder.get("excluded"));
        @SuppressWarnings("unchecked") List<String> train = (List<String>) folder.get("train");
        @SuppressWarnings("unchecked") List<String> val = (List<String>) folder.get("validation");
        assertEquals(8, train.size() + val.size());
        assertFalse(val.isEmpty(), "with 30% held out some file is on the validation side");
        assertTrue(train.stream().noneMatch(val::contains));
        assertTrue(d.validationSources().contains("natural") && d.validationSources().contains("phantom"));
    }
}
