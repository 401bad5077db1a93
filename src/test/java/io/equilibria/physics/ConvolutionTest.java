package io.equilibria.physics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.compute.Tensors;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FFT convolution against a direct spatial sum, for each boundary; PSF validation. */
class ConvolutionTest {
    /** y[i] = Σ_j h[j] x[i − (j − c)], x read through {@code sample}. */
    static float[] direct(Plane x, Plane psf, int outW, int outH, int offX, int offY, boolean periodic, boolean zero) {
        float[] out = new float[outW * outH];
        int cx = psf.width() / 2, cy = psf.height() / 2;
        for (int y = 0; y < outH; y++) {
            for (int xx = 0; xx < outW; xx++) {
                double s = 0;
                for (int j = 0; j < psf.height(); j++) {
                    for (int i = 0; i < psf.width(); i++) {
                        int sx = xx + offX - (i - cx), sy = y + offY - (j - cy);
                        if (periodic) {
                            sx = Math.floorMod(sx, x.width());
                            sy = Math.floorMod(sy, x.height());
                        } else if (sx < 0 || sy < 0 || sx >= x.width() || sy >= x.height()) {
                            if (zero) continue;
                            throw new AssertionError("extended domain too small at " + sx + "," + sy);
                        }
                        s += psf.get(i, j) * x.get(sx, sy);
                    }
                }
                out[y * outW + xx] = (float) s;
            }
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        double max = 0;
        for (int i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(expected[i] - actual[i]));
        assertTrue(max <= tol, "max difference " + max);
    }

    @Test
    void matchesDirectConvolutionForEachBoundary() {
        Psf psf = AdjointTest.asymmetricPsf(5, 7, 1);
        Plane p = psf.single();
        int w = 23, h = 19;
        NDManager m = TestSupport.manager();
        for (Boundary b : Boundary.values()) {
            try (FftConvolution a = FftConvolution.single(m, psf, w, h, b); NDManager s = m.newSubManager()) {
                int dw = (int) a.domainShape().get(1), dh = (int) a.domainShape().get(0);
                Plane x = Plane.zeros(dw, dh);
                java.util.Random r = new java.util.Random(2);
                for (int i = 0; i < x.data().length; i++) x.data()[i] = r.nextFloat();
                Plane y = Tensors.toPlane(a.apply(Tensors.of(s, x)));
                float[] expected = b == Boundary.EXTENDED
                        ? direct(x, p, w, h, p.width() - 1 - p.width() / 2, p.height() - 1 - p.height() / 2, false, false)
                        : direct(x, p, w, h, 0, 0, b == Boundary.PERIODIC, b == Boundary.ZERO);
                assertClose(expected, y.data(), 1e-5);
            }
        }
    }

    @Test
    void periodicBlurPreservesFluxAndExtendedCropsToTheField() {
        NDManager m = TestSupport.manager();
        Plane scene = TestSupport.scene(40, 30);
        Psf psf = Psf.of(PsfGenerator.gaussian(2, 0), "g2");
        try (FftConvolution a = FftConvolution.single(m, psf, 40, 30, Boundary.PERIODIC); NDManager s = m.newSubManager()) {
            NDArray y = a.apply(Tensors.of(s, scene));
            assertEquals(scene.sum(), Tensors.sum(y), 1e-3 * scene.sum());
        }
        try (FftConvolution a = FftConvolution.single(m, psf, 40, 30, Boundary.EXTENDED); NDManager s = m.newSubManager()) {
            Plane ext = a.extendToDomain(scene);
            Plane back = Tensors.toPlane(a.toImage(Tensors.of(s, ext)));
            assertClose(scene.data(), back.data(), 0);
        }
    }

    @Test
    void badPsfsAreErrors() {
        NDManager m = TestSupport.manager();
        assertThrows(InputException.class, () -> FftConvolution.single(m, Psf.of(PsfGenerator.gaussian(3, 0), "big"), 10, 10, Boundary.EXTENDED));
        assertThrows(InputException.class, () -> Psf.of(Plane.zeros(3, 3), "empty"));
        assertThrows(InputException.class, () -> Psf.of(new Plane(2, 1, new float[] {1, -0.1f}), "negative"));
        assertThrows(InputException.class, () -> Psf.of(new Plane(2, 1, new float[] {1, Float.NaN}), "nan"));
        assertThrows(InputException.class, () -> PsfSpec.parse("gauss:2"));
        assertThrows(InputException.class, () -> PsfSpec.parse("airy:1.4,520"));
        assertThrows(InputException.class, () -> PsfSpec.parse("gaussian:-1"));
    }
}
