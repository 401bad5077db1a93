package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import io.equilibria.train.DataConfig;
import io.equilibria.train.DenoiserTrainer;
import io.equilibria.train.TrainingNoise;
import io.equilibria.train.loop.OptimizerConfig;
import io.equilibria.train.loop.ScheduleConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UNetTest {
    @TempDir
    Path dir;

    private static UNet net(NDManager m, List<Integer> widths, long seed) {
        UNet u = new UNet(new UNet.Config(widths, 1, seed));
        u.allocate(m);
        return u; // He-initialised, not prepareForTraining(): that zeroes the tail and makes D the identity
    }

    @Test
    void anySizeIsDenoisedToItsOwnShapeAndTheNetworkIsPositivelyHomogeneous() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            UNet u = net(m, List.of(4, 8, 8), 3);
            NDArray x = m.randomUniform(0, 1, new Shape(2, 1, 37, 50)), s = m.create(new float[] {0.02f, 0.1f});
            NDArray d = Autograd.noGrad(() -> u.denoise(x, s));
            assertEquals(x.getShape(), d.getShape());
            assertTrue(d.sub(x).abs().max().getFloat() > 1e-3, "an untrained network is not the identity");
            // bias-free + ReLU: D(a x, a sigma) = a D(x, sigma), so the intensity scale of the data does not matter
            NDArray d3 = Autograd.noGrad(() -> u.denoise(x.mul(3f), s.mul(3f)));
            double err = d3.sub(d.mul(3f)).abs().max().getFloat() / d3.abs().max().getFloat(); // float32 rounding only
            assertTrue(err < 1e-5, "relative homogeneity error " + err);
            NDArray tiny = m.randomUniform(0, 1, new Shape(1, 1, 3, 5)); // smaller than the pooling factor
            assertEquals(tiny.getShape(), Autograd.noGrad(() -> u.denoise(tiny, m.create(new float[] {0.05f}))).getShape());
        }
    }

    @Test
    void tilesWithTheReceptiveHaloMatchTheWholeImage() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            UNet u = net(m, List.of(4, 6), 5);
            assertEquals(0, u.receptiveRadius() % 2, "radius is a multiple of the pooling factor");
            NDArray x = m.randomUniform(0, 1, new Shape(1, 1, 90, 75)), s = m.create(new float[] {0.05f});
            NDArray whole = Autograd.noGrad(() -> u.denoise(x, s));
            NDArray tiled = Autograd.noGrad(() -> new TiledDenoiser(u, u.receptiveRadius(), 16).denoise(x, s));
            double err = whole.sub(tiled).abs().max().getFloat();
            assertTrue(err < 1e-5, "tiled vs whole: " + err);
            NDArray shortHalo = Autograd.noGrad(() -> new TiledDenoiser(u, 2, 16).denoise(x, s));
            assertTrue(whole.sub(shortHalo).abs().max().getFloat() > 1e-4, "a short halo shows seams");
        }
    }

    @Test
    void countsItsParametersAndRoundTripsThroughTheModelStore() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            UNet u = net(m, List.of(4, 8, 16), 7);
            long n = 0;
            for (var p : u.getParameters()) n += p.getValue().getArray().size();
            assertEquals(n, u.parameterCount());
            assertTrue(u.flopsPerPixel() > 2 * 9 * 2 * 4, "at least the head");
            DenoiserConfig back = DenoiserConfig.fromMap(u.config().toMap());
            assertEquals(u.config(), back);
            assertThrows(IllegalArgumentException.class, () -> DenoiserConfig.fromMap(Map.of("type", "resnet")));
            assertTrue(DenoiserConfig.fromMap(new DnCnn(DnCnn.Config.defaults()).config().toMap()) instanceof DnCnn.Config,
                    "cards without a type are DnCNNs");

            var card = io.equilibria.models.ModelCard.of("u", "denoiser", u.describe(), u.architecture(),
                    null, Map.of());
            ModelStore.save(dir, card, u);
            StoredModel loaded = ModelStore.load(dir.resolve("u.json"), m);
            UNet v = (UNet) loaded.block();
            NDArray x = m.randomUniform(0, 1, new Shape(1, 1, 20, 24)), s = m.create(new float[] {0.03f});
            double err = Autograd.noGrad(() -> u.denoise(x, s).sub(v.denoise(x, s)).abs().max().getFloat());
            assertEquals(0, err, 0.0);
        }
    }

    /** Bit-identical needs one intra-op thread ({@link TestSupport#withOneThread}). */
    @Test
    void trainsAndResumesExactlyThroughTheSharedTrainer() throws Exception {
        TestSupport.withOneThread(this::trainAndResume);
    }

    private void trainAndResume() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            DenoiserTrainer.Config c = new DenoiserTrainer.Config(new UNet.Config(List.of(4, 8), 1, 0),
                    new DataConfig(16, 4, null, 0.0, DataConfig.DEFAULT_EXCLUDE, 0.3, 2, 32), new ScheduleConfig(2, 3),
                    new OptimizerConfig(5e-3, "cosine"), new TrainingNoise(0.1, 0.3), 9);
            DenoiserTrainer.Listener quiet = new DenoiserTrainer.Listener() {};
            DenoiserTrainer.Result a = DenoiserTrainer.train(m, c, null, false, quiet);
            assertTrue(a.net() instanceof UNet);
            Path ck = dir.resolve("ck");
            assertThrows(IllegalStateException.class, () -> DenoiserTrainer.train(m, c, ck, false, new DenoiserTrainer.Listener() {
                @Override public void epoch(Map<String, Object> summary) { throw new IllegalStateException("killed"); }
            }));
            DenoiserTrainer.Result b = DenoiserTrainer.train(m, c, ck, true, quiet);
            var pa = a.net().getParameters();
            var pb = b.net().getParameters();
            for (int i = 0; i < pa.size(); i++) {
                float[] u = pa.get(i).getValue().getArray().toFloatArray(), v = pb.get(i).getValue().getArray().toFloatArray();
                assertTrue(java.util.Arrays.equals(u, v), "parameter " + pa.get(i).getKey() + " differs after resume");
            }
            assertEquals(a.validation(), b.validation());
        }
    }
}
