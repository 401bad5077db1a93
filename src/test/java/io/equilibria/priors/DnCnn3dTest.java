package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.deq.DeqModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 3D CNN prior: its map, its cost, the model store, tiling of volumes and how the DEQ map sees it. */
class DnCnn3dTest {
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

    private DnCnn3d tiny(int depth, int width, long seed) {
        DnCnn3d net = new DnCnn3d(DnCnn3d.Config.defaults().withDepth(depth).withWidth(width).withNormSize(8).withSeed(seed)).initialize(m);
        net.scaleKernelsToBound(30);
        return net;
    }

    @Test
    void residualFormOnVolumesAndImagesAreRefused() {
        DnCnn3d net = tiny(3, 4, 1);
        assertTrue(net.volumetric() && net.config().volumetric());
        NDArray x = TestSupport.random(m, new Shape(2, 1, 6, 9, 10), 2).mul(0.1f).add(0.5f);
        NDArray s = m.create(new float[] {0.02f, 0.1f});
        NDArray d = Autograd.noGrad(() -> net.denoise(x, s));
        assertEquals(x.getShape(), d.getShape());
        assertTrue(x.sub(d).abs().max().getFloat() > 0, "the network changes the input");
        // the second sample's noise map differs: the same volume at another sigma gives another output
        NDArray x2 = x.get("0:1").repeat(0, 2);
        NDArray d2 = Autograd.noGrad(() -> net.denoise(x2, s));
        assertTrue(d2.get("0").sub(d2.get("1")).abs().max().getFloat() > 0, "sigma is an input");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.denoise(m.zeros(new Shape(1, 1, 16, 16)), m.create(new float[] {0.05f})));
        assertTrue(e.getMessage().contains("does not run on 2D images"), e.getMessage());
    }

    @Test
    void defaultSizeCostsAndParameters() {
        DnCnn3d net = new DnCnn3d();
        assertEquals(8, net.config().depth());
        assertEquals(16, net.config().width());
        assertEquals(42_768, net.macsPerPixel(), 0); // 27 (2·16 + 6·16² + 16): the 8x16 2D DnCNN on three planes
        assertEquals(3 * new DnCnn(DnCnn.Config.defaults().withWidth(16)).flopsPerPixel(), net.flopsPerPixel(), 1e-2 * net.flopsPerPixel());
        assertEquals(42_768 + 7 * 16 + 1, net.parameterCount());
        assertEquals(8, net.receptiveRadius());
        assertEquals(net.parameterCount(), net.initialize(m).getParameters().values().stream()
                .mapToLong(p -> p.getArray().getShape().size()).sum());
    }

    @Test
    void saveThenLoadGivesIdenticalOutputsAndTheCardNamesTheArchitecture() {
        DnCnn3d net = tiny(3, 4, 9);
        ModelCard card = ModelStore.save(dir, ModelCard.of("tiny3d", "denoiser", net.describe(), net.architecture(),
                new ModelCard.Training("test", List.of(Map.of("kind", "none")), 1L, Map.of(), List.of(), 0.0), Map.of()), net);
        assertEquals(DnCnn3d.class.getName(), card.architecture().type());
        assertEquals("dncnn3d", card.architecture().hyperParameters().get("type"));
        NDArray x = TestSupport.random(m, new Shape(2, 1, 7, 12, 11), 3).mul(0.1f).add(0.4f);
        NDArray s = m.create(new float[] {0.03f, 0.08f});
        float[] want = net.denoise(x, s).toFloatArray();
        StoredModel loaded = ModelStore.load(dir.resolve("tiny3d.json").toString(), m);
        assertTrue(loaded.block() instanceof DnCnn3d);
        assertEquals(net.config(), ((DnCnn3d) loaded.block()).config());
        assertArrayEquals(want, ((Denoiser) loaded.block()).denoise(x, s).toFloatArray(), 0f);
        Denoiser viaHolder = DenoiserHolder.load(dir.resolve("tiny3d.json").toString(), m);
        assertTrue(viaHolder.volumetric());
        assertEquals(net.config(), DenoiserConfig.fromMap(card.architecture().hyperParameters()));
    }

    @Test
    void orthogonalDenoiserPassesAVolumetricDenoiserThrough() {
        DnCnn3d net = tiny(2, 3, 4);
        assertSame(net, OrthogonalDenoiser.of(net));
        TiledDenoiser tiled = new TiledDenoiser(net, net.receptiveRadius(), 256);
        assertSame(tiled, OrthogonalDenoiser.of(tiled), "a tiled 3D CNN is still volumetric");
        assertThrows(IllegalArgumentException.class, () -> new OrthogonalDenoiser(net));
        DnCnn flat = new DnCnn(DnCnn.Config.defaults().withDepth(2).withWidth(3));
        assertTrue(OrthogonalDenoiser.of(flat) instanceof OrthogonalDenoiser, "a 2D denoiser still sees planes");
    }

    /** Blocks cut in z, y and x with a halo of the receptive radius give the whole-volume result; a short halo does not. */
    @Test
    void tiledVolumesMatchTheWholeVolume() {
        DnCnn3d net = tiny(3, 4, 11);
        NDArray x = m.randomUniform(0, 1, new Shape(2, 1, 21, 26, 30)), s = m.create(new float[] {0.03f, 0.08f});
        NDArray whole = Autograd.noGrad(() -> net.denoise(x, s));
        int[] calls = {0};
        Denoiser counting = new Denoiser() {
            @Override public NDArray denoise(NDArray v, NDArray sigma) { calls[0]++; return net.denoise(v, sigma); }
            @Override public String describe() { return "counting"; }
            @Override public long parameterCount() { return 0; }
            @Override public double flopsPerPixel() { return 0; }
            @Override public boolean volumetric() { return true; }
        };
        NDArray tiled = Autograd.noGrad(() -> new TiledDenoiser(counting, net.receptiveRadius(), 256, 10).denoise(x, s));
        assertEquals(2 * 3 * 3, calls[0], "21 x 26 x 30 in blocks of about 10: 2 x 3 x 3");
        assertEquals(whole.getShape(), tiled.getShape());
        double err = whole.sub(tiled).abs().max().getFloat();
        assertTrue(err < 1e-5, "tiled vs whole: " + err);
        NDArray shortHalo = Autograd.noGrad(() -> new TiledDenoiser(net, 1, 256, 10).denoise(x, s));
        assertTrue(whole.sub(shortHalo).abs().max().getFloat() > 1e-4, "a halo below the receptive radius must show seams");
    }

    /** A DEQ model with a 3D CNN prior: a volume model by construction, its card says so, and it survives the card. */
    @Test
    void aDeqModelHoldsA3dPrior() {
        DnCnn3d.Config prior = DnCnn3d.Config.defaults().withDepth(2).withWidth(3).withNormSize(8);
        DeqModel.Config c = new DeqModel.Config(DeqModel.Task.DEBLUR, DeqForm.RED, prior, 1, 0.2, 1, 2).withVolume(true);
        Map<String, Object> map = c.toMap();
        assertEquals(true, map.get("volume"));
        assertEquals("3D CNN on the volume", map.get("prior"));
        assertTrue(!map.containsKey("orientations"));
        assertEquals(c, DeqModel.Config.fromMap(map));
        DeqModel model = new DeqModel(c).initialize(m);
        assertTrue(model.denoiser().volumetric());
        assertTrue(model.describe().contains("3D CNN prior"), model.describe());
        Denoiser.probe(model.denoiser(), m);
    }
}
