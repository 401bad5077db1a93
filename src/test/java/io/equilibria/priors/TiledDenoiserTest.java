package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tiles with a halo of the receptive radius give the whole-image result; a smaller halo does not. */
class TiledDenoiserTest {
    @Test
    void tilesWithReceptiveHaloMatchTheWholeImage() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            DnCnn net = new DnCnn(DnCnn.Config.defaults().withDepth(4).withWidth(6).withSeed(11)).initialize(m);
            NDArray x = m.randomUniform(0, 1, new Shape(2, 1, 70, 93)), s = m.create(new float[] {0.03f, 0.08f});
            NDArray whole = Autograd.noGrad(() -> net.denoise(x, s));
            NDArray tiled = Autograd.noGrad(() -> new TiledDenoiser(net, net.receptiveRadius(), 16).denoise(x, s));
            assertEquals(whole.getShape(), tiled.getShape());
            double err = whole.sub(tiled).abs().max().getFloat();
            assertTrue(err < 1e-5, "tiled vs whole: " + err);
            NDArray shortHalo = Autograd.noGrad(() -> new TiledDenoiser(net, 1, 16).denoise(x, s));
            assertTrue(whole.sub(shortHalo).abs().max().getFloat() > 1e-4, "a halo below the receptive radius must show seams");
        }
    }
}
