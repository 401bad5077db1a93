package io.equilibria.physics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FftConvolution#window}: the same measurement on a crop of the field of view. With the extended boundary a
 * crop's measurements depend only on the unknowns over the crop plus the PSF's band, so the window applied to that
 * part of x equals the crop of A x exactly; it is adjoint-consistent, and it refuses windows that are not smaller.
 */
class WindowTest {
    @Test
    void theWindowIsTheCropOfTheFullMeasurement() {
        NDManager m = TestSupport.manager();
        Psf psf = AdjointTest.asymmetricPsf(7, 5, 1);
        try (FftConvolution a = FftConvolution.single(m, psf, 60, 48, Boundary.EXTENDED); NDManager s = m.newSubManager()) {
            assertNull(a.window(48, 60), "not smaller");
            assertNull(a.window(50, 30), "taller than the field of view");
            try (LinearOperator w = a.window(20, 30)) {
                assertEquals(new ai.djl.ndarray.types.Shape(20, 30), w.rangeShape());
                assertEquals(new ai.djl.ndarray.types.Shape(20 + 5 - 1, 30 + 7 - 1), w.domainShape());
                NDArray x = s.randomUniform(0, 1, a.domainShape());
                NDArray full = a.apply(x);
                int y0 = 9, x0 = 13;
                NDArray part = x.get(y0 + ":" + (y0 + 24) + "," + x0 + ":" + (x0 + 36));
                NDArray windowed = w.apply(part);
                NDArray crop = full.get(y0 + ":" + (y0 + 20) + "," + x0 + ":" + (x0 + 30));
                double err = windowed.sub(crop).abs().max().getFloat();
                assertTrue(err < 1e-5, "max difference " + err);
                AdjointTest.checkAdjoint(w, 3);
            }
        }
    }
}
