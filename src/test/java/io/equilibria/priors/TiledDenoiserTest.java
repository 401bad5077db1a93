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

    /** The image is cut into round(side / tile) equal parts per axis: no thin remainder tiles (each call costs). */
    @Test
    void balancedTilesWithoutThinRemainders() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            int[] calls = {0};
            Denoiser identity = new Denoiser() {
                @Override public NDArray denoise(NDArray x, NDArray sigma) { calls[0]++; return x.duplicate(); }
                @Override public String describe() { return "identity"; }
                @Override public long parameterCount() { return 0; }
                @Override public double flopsPerPixel() { return 0; }
            };
            NDArray s = m.create(new float[] {0.03f});
            NDArray small = m.randomUniform(0, 1, new Shape(1, 1, 23, 20)); // 23 / 16 rounds to one tile per axis
            NDArray out = new TiledDenoiser(identity, 2, 16).denoise(small, s);
            assertEquals(1, calls[0]);
            assertEquals(0f, small.sub(out).abs().max().getFloat());
            calls[0] = 0;
            NDArray large = m.randomUniform(0, 1, new Shape(1, 1, 70, 93)); // 4 x 6 tiles of 18 x 16 (not 5 x 6 of 16 with a 6 px row)
            out = new TiledDenoiser(identity, 2, 16).denoise(large, s);
            assertEquals(24, calls[0]);
            assertEquals(0f, large.sub(out).abs().max().getFloat());
        }
    }
}
