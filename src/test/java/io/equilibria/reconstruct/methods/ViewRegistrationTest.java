package io.equilibria.reconstruct.methods;

import io.equilibria.image.Plane;
import io.equilibria.image.registration.Transform2d;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A frame registered through T is (h∘A) * x, A being T's linear part: the turned PSF must be h sampled at A d about
 * its centre. Checked on a PSF with an off-centre lobe, whose turned copy must have the lobe at A⁻¹ of the old offset.
 */
class ViewRegistrationTest {
    @Test
    void aPsfTurnsWithItsFrame() {
        int n = 31, c = n / 2;
        float[] d = new float[n * n];
        double lx = 6, ly = -2; // the lobe's offset from the centre
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double r2 = (x - c - lx) * (x - c - lx) + (y - c - ly) * (y - c - ly);
                d[y * n + x] = (float) Math.exp(-r2 / (2 * 1.2 * 1.2));
            }
        }
        Transform2d t = Transform2d.rotation(20, 80, 60, 3.5, -1.25); // a frame's map: the turn and a shift (the shift must not matter)
        Plane turned = ViewRegistration.turned(new Plane(n, n, d), t);
        double sum = 0, mx = 0, my = 0;
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double v = turned.data()[y * n + x];
                sum += v;
                mx += v * (x - c);
                my += v * (y - c);
            }
        }
        assertEquals(1, sum, 1e-5, "a PSF's light sums to 1");
        double[] expected = t.withOffset(0, 0).inverse().apply(lx, ly); // A^-1 (lx, ly)
        assertEquals(expected[0], mx / sum, 0.05, "lobe x");
        assertEquals(expected[1], my / sum, 0.05, "lobe y");
    }
}
