package io.equilibria.physics;

import io.equilibria.image.Plane;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PSFs against known facts: unit sum, symmetry, Gaussian variance, Airy first zero at 0.61 λ/NA, Born–Wolf focus. */
class PsfGeneratorTest {
    static void assertUnitSumAndSymmetric(Plane p) {
        assertEquals(1.0, p.sum(), 1e-5);
        int n = p.width();
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                float v = p.get(x, y);
                assertEquals(v, p.get(n - 1 - x, y), 1e-7, "mirror x");
                assertEquals(v, p.get(x, n - 1 - y), 1e-7, "mirror y");
                assertEquals(v, p.get(y, x), 1e-7, "transpose");
            }
        }
        assertEquals(p.max(), p.get(n / 2, n / 2), 0, "peak at the centre");
    }

    @Test
    void gaussianHasUnitSumSymmetryAndVariance() {
        double sigma = 2.0;
        Plane g = PsfGenerator.gaussian(sigma, 0);
        assertUnitSumAndSymmetric(g);
        double var = 0;
        int c = g.width() / 2;
        for (int y = 0; y < g.height(); y++) for (int x = 0; x < g.width(); x++) var += g.get(x, y) * (x - c) * (x - c);
        // pixel integration adds 1/12 px² (box of width 1); truncation at 4σ removes a little
        assertEquals(sigma * sigma + 1.0 / 12, var, 0.02);
    }

    @Test
    void airyFirstZeroIsAt061LambdaOverNa() {
        double na = 1.4, lambda = 520, pixel = 10; // fine pixels to resolve the ring
        double expected = 0.61 * lambda / na / pixel;
        assertEquals(expected, PsfGenerator.airyRadiusPixels(na, lambda, pixel), 0.01 * expected);
        // the sampled radial profile has its first minimum there
        double k = 2 * Math.PI * na / lambda * pixel;
        double best = Double.MAX_VALUE, at = 0;
        for (double r = 0.5 * expected; r < 1.5 * expected; r += 0.001) {
            double v = PsfGenerator.airyIntensity(k * r);
            if (v < best) { best = v; at = r; }
        }
        assertEquals(expected, at, 0.01 * expected);
        assertTrue(best < 1e-6);
        Plane p = PsfGenerator.airy(na, lambda, 65, 0);
        assertUnitSumAndSymmetric(p);
    }

    @Test
    void bornWolfFocalPlaneIsAiryAndDefocusIsSymmetric() {
        double na = 1.2, lambda = 500, px = 65, n = 1.33;
        List<Plane> stack = PsfGenerator.bornWolf(na, lambda, px, n, 250, 5, 31);
        Plane focus = stack.get(2);
        Plane airy = PsfGenerator.airy(na, lambda, px, 31);
        for (int i = 0; i < focus.data().length; i++) assertEquals(airy.data()[i], focus.data()[i], 2e-4);
        for (int i = 0; i < focus.data().length; i++) assertEquals(stack.get(0).data()[i], stack.get(4).data()[i], 1e-6);
        assertTrue(stack.get(0).max() < focus.max(), "defocus spreads the peak");
        for (Plane p : stack) assertUnitSumAndSymmetric(p);
    }

    @Test
    void multiViewFramesAreRotatedCopies() {
        Psf frames = PsfSpec.parse("gaussian:1.5").frames(2, 2.0);
        assertEquals(2, frames.size());
        Plane a = frames.plane(0), b = frames.plane(1);
        int n = a.width();
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) assertEquals(a.get(x, y), b.get(y, x), 1e-6);
    }
}
