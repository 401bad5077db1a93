package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.cli.Main;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.image.Stats;
import io.equilibria.models.ModelCache;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import io.equilibria.priors.DnCnn3d;
import io.equilibria.reconstruct.deq.DeqModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** {@code train denoiser --3d} (the 3D CNN prior) and {@code train deq --3d} on it, on tiny volumes. */
class VolumeDenoiserTrainingTest {
    static {
        // own JVM (training-tests): cap oneDNN at SSE4.1 before the engine loads, as 3D training does (above it the
        // 3x3x3 convolutions' gradients came out wrong here, see OneDnn.capForVolumeTraining)
        if (System.getProperty("equilibria.onednn.isa") == null) System.setProperty("equilibria.onednn.isa", "SSE41");
    }

    @TempDir
    Path dir;

    @AfterEach
    void forget() {
        ModelCache.clear();
    }

    static final VolumePatches.Settings TINY = new VolumePatches.Settings(16, 8, 5, 5, 2, 0.5, 2);

    /** Batches are a pure function of (seed, step); blurred patches have a unit 99.8th percentile; σ within [0, σmax]. */
    @Test
    void patchesAreDeterministicAndScaledLikeTheDeqsVolumes() {
        try (NDManager m = Compute.manager(ai.djl.Device.cpu());
             VolumePatches a = VolumePatches.training(m, TINY, new TrainingNoise(0.2, 0), 7);
             VolumePatches b = VolumePatches.training(m, TINY, new TrainingNoise(0.2, 0), 7)) {
            DenoiserTrainer.Batch x = a.batch(3, TrainingData.random(7, 5)), y = b.batch(3, TrainingData.random(7, 5));
            assertEquals(new Shape(3, 1, 8, 16, 16), x.shape());
            assertArrayEquals(x.noisy(), y.noisy());
            assertArrayEquals(x.clean(), y.clean());
            assertArrayEquals(x.sigma(), y.sigma());
            assertFalse(java.util.Arrays.equals(x.clean(), a.batch(3, TrainingData.random(7, 6)).clean()), "another step");
            for (float s : x.sigma()) assertTrue(s >= 0 && s <= 0.2, "sigma " + s);
            int blurred = 0;
            for (int i = 0; i < 20; i++) {
                VolumePatches.Clean c = a.clean(new SplittableRandom(i));
                if (c.description().contains("blurred")) {
                    blurred++;
                    assertEquals(1, Stats.percentile(new float[][] {c.data()}, 99.8), 1e-4, c.description());
                }
            }
            assertTrue(blurred > 3 && blurred < 17, blurred + " of 20 blurred");
            VolumePatches.Validation v = a.validationSet();
            assertTrue(v.clean().get(0).description().startsWith("filaments sharp"), v.clean().get(0).description());
            assertTrue(v.clean().get(1).description().startsWith("beads blurred"), v.clean().get(1).description());
        }
    }

    /**
     * Two optimiser steps through the CLI write a model that loads as a {@link DnCnn3d} and whose card says what it was
     * trained on; a run killed after its first epoch and resumed ends with the same parameters as one that was not.
     */
    @Test
    void trainDenoiser3dWritesALoadableModelAndResumesExactly() throws Exception {
        TestSupport.withOneThread(() -> {
            List<String> common = List.of("train", "denoiser", "--3d", "--volume", "16x8", "--psf-size", "5x5", "--psf-pool", "2",
                    "--depth", "3", "--width", "4", "--batch", "2", "--steps-per-epoch", "1", "--validation-images", "2");
            assertEquals(0, run(common, "--epochs", "2", "--output", dir.resolve("a").toString()));
            try (NDManager m = Compute.manager(ai.djl.Device.cpu())) {
                StoredModel loaded = ModelStore.load(dir.resolve("a.json").toString(), m);
                assertTrue(loaded.block() instanceof DnCnn3d);
                DnCnn3d net = (DnCnn3d) loaded.block();
                assertEquals(3, net.config().depth());
                ModelCard card = loaded.card();
                assertEquals("denoiser", card.kind());
                assertEquals("dncnn3d", card.architecture().hyperParameters().get("type"));
                assertTrue(card.training().settings().containsKey("volume"), card.training().settings().toString());
                assertFalse(card.training().settings().containsKey("patch"), "the 2D patch size is not what was trained on");
                assertTrue(card.description().startsWith("3D CNN"), card.description());
                assertTrue(((Map<?, ?>) card.validation().get("psnr")).size() == 4, card.validation().toString());
                NDArray x = m.randomUniform(0, 1, new Shape(1, 1, 9, 20, 18));
                NDArray d = Autograd.noGrad(() -> net.denoise(x, m.create(new float[] {0.05f})));
                assertEquals(x.getShape(), d.getShape());
            }
            // killed after epoch 1 (only its checkpoint is left), then resumed to epoch 2
            Path ck = dir.resolve("ck");
            assertEquals(0, run(common, "--epochs", "1", "--checkpoint", ck.toString(), "--output", dir.resolve("b1").toString()));
            assertEquals(0, run(common, "--epochs", "2", "--checkpoint", ck.toString(), "--resume", "--output", dir.resolve("b").toString()));
            assertEquals(ModelStore.sha256(dir.resolve("a.params")), ModelStore.sha256(dir.resolve("b.params")),
                    "resumed run = uninterrupted run, bit for bit");
        });
    }

    /**
     * {@code train deq --3d --denoiser <a 3D CNN>}: one step; the DEQ's card says its prior is a 3D CNN (a saved model of
     * that kind deconvolving a z-stack through the CLI: {@code VolumeDeqCommandTest}).
     */
    @Test
    void trainDeq3dOnA3dCnnPrior() throws Exception {
        TestSupport.withOneThread(this::trainDeq3d); // tiny volumes: with two threads on a busy machine each op waited on the other
    }

    private void trainDeq3d() throws Exception {
        Path prior = dir.resolve("prior3d");
        try (NDManager m = Compute.manager(ai.djl.Device.cpu())) {
            DnCnn3d net = new DnCnn3d(DnCnn3d.Config.defaults().withDepth(3).withWidth(4).withNormSize(8).withSeed(5)).initialize(m);
            net.scaleKernelsToBound(30);
            ModelStore.save(dir, ModelCard.of("prior3d", "denoiser", net.describe(), net.architecture(), null, Map.of()), net);
        }
        Path deq = dir.resolve("deq3d");
        assertEquals(0, Main.run("train", "deq", "--3d", "--task", "deblur", "--denoiser", prior.toString(), "--volume", "16x8",
                "--psf-size", "5x5", "--psf-pool", "1", "--epochs", "1", "--steps-per-epoch", "1", "--gradient", "jfb",
                "--forward-iterations", "3", "--output", deq.toString()));
        try (NDManager m = Compute.manager(ai.djl.Device.cpu())) {
            StoredModel loaded = ModelStore.load(dir.resolve("deq3d.json").toString(), m);
            DeqModel model = (DeqModel) loaded.block();
            assertTrue(model.config().volume());
            assertTrue(model.denoiser() instanceof DnCnn3d);
            Map<String, Object> h = loaded.card().architecture().hyperParameters();
            assertEquals("3D CNN on the volume", h.get("prior"));
            assertEquals("dncnn3d", ((Map<?, ?>) h.get("denoiser")).get("type"));
            assertTrue(loaded.card().description().contains("3D CNN"), loaded.card().description());
        }
    }

    private static int run(List<String> common, String... more) {
        java.util.List<String> a = new java.util.ArrayList<>(common);
        a.addAll(List.of(more));
        return Main.run(a.toArray(String[]::new));
    }
}
