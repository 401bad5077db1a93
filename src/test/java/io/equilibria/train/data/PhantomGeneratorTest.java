package io.equilibria.train.data;

import io.equilibria.image.Plane;
import io.equilibria.train.data.PhantomGenerator.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Phantoms: determinism, range, and that each kind draws its structure, measured with detectors that do not
 * share code with the generator (a Hessian ridge test, an isolated-spot counter, a distance-transform blob test);
 * the camera model against Poisson–Gaussian theory.
 */
public class PhantomGeneratorTest {
    static final int N = 256;

    @Test
    void sameSeedSamePhantomOtherSeedOther() {
        for (Kind k : Kind.values()) {
            PhantomGenerator g = new PhantomGenerator(k);
            assertArrayEquals(g.generate(N, 7).data(), g.generate(N, 7).data(), k + ": same seed");
            assertFalse(Arrays.equals(g.generate(N, 7).data(), g.generate(N, 8).data()), k + ": other seed");
        }
        assertEquals(Kind.MIXTURE, new PhantomGenerator().kind());
    }

    @Test
    void finiteNonNegativePeakOneAnySize() {
        for (Kind k : Kind.values()) {
            for (int[] size : new int[][] {{64, 64}, {100, 37}, {512, 512}}) {
                Plane p = new PhantomGenerator(k).generate(size[0], size[1], 3);
                assertEquals(size[0], p.width());
                assertEquals(size[1], p.height());
                assertEquals(-1, p.firstNonFinite(), k + " finite");
                assertTrue(p.min() >= 0, k + " non-negative");
                assertEquals(1, p.max(), 1e-6, k + " peak 1");
                assertTrue(p.min() < 0.5, k + " has a darker background");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new PhantomGenerator().generate(0, 5, 1));
    }

    @Test
    void filamentsLieOnThinRidgesBeadsDoNot() {
        for (long seed = 1; seed <= 5; seed++) {
            Plane f = new PhantomGenerator(Kind.FILAMENTS).generate(N, seed);
            Plane b = new PhantomGenerator(Kind.BEADS).generate(N, seed);
            double rf = ridgeFraction(f), rb = ridgeFraction(b);
            // a ridge about 3 bright pixels wide has 1 centre-line pixel; measured 0.13-0.40 for filaments
            assertTrue(rf > 0.1, "filaments seed " + seed + ": only " + rf + " of the bright pixels are ridge centres");
            assertTrue(rb < 0.02, "beads seed " + seed + ": " + rb + " of the bright pixels look like ridges");
            assertTrue(ridgeFraction(new PhantomGenerator(Kind.CELLS).generate(N, seed)) < 0.02, "cells are not ridges");
            assertTrue(ridgePixels(f) > 0.003 * N * N, "filaments seed " + seed + ": too few ridge pixels");
        }
    }

    @Test
    void beadsGiveTheExpectedNumberOfIsolatedSpots() {
        double area = N * N / 1e4;
        for (long seed = 1; seed <= 5; seed++) {
            int spots = spots(new PhantomGenerator(Kind.BEADS).generate(N, seed));
            // overlapping and dim beads are lost to the detector, so allow down to half the lowest density
            assertTrue(spots >= 0.5 * PhantomGenerator.BEADS_MIN * area && spots <= PhantomGenerator.BEADS_MAX * area,
                    "seed " + seed + ": " + spots + " spots");
            assertTrue(spots(new PhantomGenerator(Kind.FILAMENTS).generate(N, seed)) < 0.5 * PhantomGenerator.BEADS_MIN * area,
                    "filaments are not spots");
        }
    }

    @Test
    void cellsAreLargeConnectedBrightBlobs() {
        for (long seed = 1; seed <= 5; seed++) {
            int[] c = largestBlob(new PhantomGenerator(Kind.CELLS).generate(N, seed));
            double rMin = 0.7 * PhantomGenerator.CELL_RADIUS_MIN;
            assertTrue(c[1] >= 8, "seed " + seed + ": no blob holds a square of half-side 8 (inscribed " + c[1] + ")");
            assertTrue(c[0] >= 0.5 * Math.PI * rMin * rMin && c[0] <= 0.8 * N * N, "seed " + seed + ": area " + c[0]);
            assertTrue(largestBlob(new PhantomGenerator(Kind.FILAMENTS).generate(N, seed))[1] < 8, "filaments are thin");
            assertTrue(largestBlob(new PhantomGenerator(Kind.BEADS).generate(N, seed))[1] < 8, "beads are small");
        }
    }

    @Test
    void mixturesVaryInContent() {
        PhantomGenerator g = new PhantomGenerator();
        int withRidges = 0, withCells = 0;
        for (long seed = 1; seed <= 12; seed++) {
            Plane p = g.generate(N, seed);
            if (ridgePixels(p) > 0.003 * N * N) withRidges++;
            if (largestBlob(p)[1] >= 8) withCells++;
        }
        assertTrue(withRidges >= 2 && withRidges <= 11, "mixtures with filaments: " + withRidges);
        assertTrue(withCells >= 2 && withCells <= 11, "mixtures with cells: " + withCells);
    }

    // ---- camera --------------------------------------------------------------------------------------------

    @Test
    void cameraMeanAndVarianceFollowPoissonGaussianTheory() {
        int n = 512;
        for (double level : new double[] {0, 0.05, 0.5, 1}) {
            CameraModel cam = new CameraModel(100, 2, 2.5, 100, 11);
            Plane raw = cam.raw(constant(n, level));
            double[] mv = meanVar(raw.data());
            double mean = 100 + 2.5 * 100 * level, var = 2.5 * 2.5 * (100 * level + 4) + 1 / 12.0;
            assertEquals(mean, mv[0], 0.005 * mean + 0.05, "ADU mean at " + level);
            assertEquals(var, mv[1], 0.03 * var, "ADU variance at " + level);
            for (float v : raw.data()) assertEquals(Math.rint(v), v, 0, "integer ADU");
            double[] norm = meanVar(cam.normalise(raw).data());
            assertEquals(level, norm[0], 0.005 * level + 0.002, "inverse map unbiased at " + level);
            assertEquals(cam.sigma(level), Math.sqrt(norm[1]), 0.02 * cam.sigma(level), "sigma at " + level);
        }
    }

    @Test
    void cameraOffsetClippingAndSeeds() {
        Plane dark = constant(128, 0);
        CameraModel noRead = new CameraModel(50, 0, 1, 100, 1);
        for (float v : noRead.raw(dark).data()) assertEquals(100, v, 0, "offset only");
        // no offset: negative read noise clips at 0, which biases the dark level upwards
        Plane clipped = new CameraModel(50, 3, 1, 0, 1).raw(dark);
        assertEquals(0, clipped.min(), 0);
        assertTrue(meanVar(clipped.data())[0] > 0.5);
        CameraModel bright = CameraModel.of(40000, 1);
        assertTrue(bright.saturation() < 1);
        Plane sat = bright.raw(constant(64, 1));
        assertEquals(65535, sat.min(), 0, "saturates");
        assertEquals(65535, sat.max(), 0, "clipped at 16 bits");
        CameraModel cam = CameraModel.of(100, 5);
        Plane clean = new PhantomGenerator().generate(64, 1);
        assertArrayEquals(cam.raw(clean).data(), cam.raw(clean).data());
        assertFalse(Arrays.equals(cam.raw(clean).data(), cam.withSeed(6).raw(clean).data()));
        assertThrows(IllegalArgumentException.class, () -> new CameraModel(0, 1, 1, 100, 1));
        assertThrows(IllegalArgumentException.class, () -> new CameraModel(10, 1, 1, 70000, 1));
    }

    // ---- detectors (independent of the generator) ----------------------------------------------------------

    static Plane constant(int n, double v) {
        float[] d = new float[n * n];
        Arrays.fill(d, (float) v);
        return new Plane(n, n, d);
    }

    static double[] meanVar(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) s += x;
        double m = s / v.length;
        for (float x : v) s2 += (x - m) * (x - m);
        return new double[] {m, s2 / (v.length - 1)};
    }

    /** Gaussian smoothing, sigma 1, with mirrored edges. */
    static float[] smooth(Plane p) {
        int w = p.width(), h = p.height();
        double[] k = new double[7];
        double sum = 0;
        for (int i = -3; i <= 3; i++) sum += k[i + 3] = Math.exp(-i * i / 2.0);
        float[] t = new float[w * h], o = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = -3; i <= 3; i++) s += k[i + 3] * p.get(mirror(x + i, w), y);
                t[y * w + x] = (float) (s / sum);
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = -3; i <= 3; i++) s += k[i + 3] * t[mirror(y + i, h) * w + x];
                o[y * w + x] = (float) (s / sum);
            }
        return o;
    }

    static int mirror(int i, int n) { return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i; }

    /** For each bright pixel: 0 = not a ridge, 1 = on the centre line of a thin ridge: one strongly negative
     *  Hessian eigenvalue (large relative to the height, as for a line about 1 px wide), the other near zero, and a
     *  small gradient (which rules out the flanks of round spots, where the Hessian alone also looks ridge-like). */
        static int[] ridgeMap(Plane p) {
        int w = p.width(), h = p.height();
        float[] s = smooth(p);
        float[] sorted = s.clone();
        Arrays.sort(sorted);
        double bg = sorted[sorted.length / 10], top = sorted[sorted.length - 1];
        int[] map = new int[w * h];
        Arrays.fill(map, -1);
        for (int y = 1; y < h - 1; y++)
            for (int x = 1; x < w - 1; x++) {
                int i = y * w + x;
                double v = s[i] - bg;
                if (v < 0.2 * (top - bg)) continue;
                double hxx = s[i - 1] - 2 * s[i] + s[i + 1], hyy = s[i - w] - 2 * s[i] + s[i + w];
                double hxy = (s[i + w + 1] - s[i + w - 1] - s[i - w + 1] + s[i - w - 1]) / 4;
                double mean = (hxx + hyy) / 2, d = Math.sqrt((hxx - hyy) * (hxx - hyy) / 4 + hxy * hxy);
                double l1 = mean - d, l2 = mean + d; // l1 <= l2
                double gx = (s[i + 1] - s[i - 1]) / 2, gy = (s[i + w] - s[i - w]) / 2;
                map[i] = l1 < -0.1 * v && Math.abs(l2) < 0.35 * Math.abs(l1) && Math.hypot(gx, gy) < 0.5 * -l1 ? 1 : 0;
            }
        return map;
    }

    static double ridgeFraction(Plane p) {
        int bright = 0, ridge = 0;
        for (int m : ridgeMap(p)) {
            if (m >= 0) bright++;
            if (m == 1) ridge++;
        }
        return bright == 0 ? 0 : ridge / (double) bright;
    }

    static int ridgePixels(Plane p) {
        int n = 0;
        for (int m : ridgeMap(p)) if (m == 1) n++;
        return n;
    }

    /** Isolated spots: strict local maxima clearly above everything on a ring at radius 5 to 6 px. */
    static int spots(Plane p) {
        int w = p.width(), h = p.height(), n = 0;
        for (int y = 6; y < h - 6; y++)
            for (int x = 6; x < w - 6; x++) {
                double v = p.get(x, y);
                boolean max = true;
                for (int dy = -1; dy <= 1 && max; dy++)
                    for (int dx = -1; dx <= 1 && max; dx++) if ((dx | dy) != 0 && p.get(x + dx, y + dy) >= v) max = false;
                if (!max) continue;
                double ringMax = Double.NEGATIVE_INFINITY, ringMin = Double.POSITIVE_INFINITY;
                for (int dy = -6; dy <= 6; dy++)
                    for (int dx = -6; dx <= 6; dx++) {
                        double r = Math.hypot(dx, dy);
                        if (r < 5 || r > 6) continue;
                        ringMax = Math.max(ringMax, p.get(x + dx, y + dy));
                        ringMin = Math.min(ringMin, p.get(x + dx, y + dy));
                    }
                if (v - ringMin > 0.03 && v - ringMax > 0.6 * (v - ringMin)) n++;
            }
        return n;
    }

    /** {area, inscribed radius} of the largest 4-connected region above a threshold a quarter of the way from
     *  the 5th percentile (background) to the top; the inscribed radius is a chessboard distance transform. */
    static int[] largestBlob(Plane p) {
        int w = p.width(), h = p.height();
        float[] s = smooth(p), sorted = s.clone();
        Arrays.sort(sorted);
        double lo = sorted[sorted.length / 20], t = lo + 0.25 * (sorted[sorted.length - 1] - lo);
        int[] dist = new int[w * h];
        for (int i = 0; i < dist.length; i++) dist[i] = s[i] > t ? 1 << 20 : 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                if (dist[i] == 0) continue;
                int a = x > 0 ? dist[i - 1] : 0, b = y > 0 ? dist[i - w] : 0;
                int c = x > 0 && y > 0 ? dist[i - w - 1] : 0, d = x < w - 1 && y > 0 ? dist[i - w + 1] : 0;
                dist[i] = Math.min(dist[i], 1 + Math.min(Math.min(a, b), Math.min(c, d)));
            }
        for (int y = h - 1; y >= 0; y--)
            for (int x = w - 1; x >= 0; x--) {
                int i = y * w + x;
                if (dist[i] == 0) continue;
                int a = x < w - 1 ? dist[i + 1] : 0, b = y < h - 1 ? dist[i + w] : 0;
                int c = x < w - 1 && y < h - 1 ? dist[i + w + 1] : 0, d = x > 0 && y < h - 1 ? dist[i + w - 1] : 0;
                dist[i] = Math.min(dist[i], 1 + Math.min(Math.min(a, b), Math.min(c, d)));
            }
        int[] label = new int[w * h];
        int best = 0, bestInscribed = 0, next = 0;
        for (int start = 0; start < label.length; start++) {
            if (dist[start] == 0 || label[start] != 0) continue;
            next++;
            int area = 0, inscribed = 0;
            ArrayDeque<Integer> q = new ArrayDeque<>();
            q.add(start);
            label[start] = next;
            while (!q.isEmpty()) {
                int i = q.poll(), x = i % w, y = i / w;
                area++;
                inscribed = Math.max(inscribed, dist[i]);
                int[] nb = {x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1};
                for (int j : nb) if (j >= 0 && dist[j] > 0 && label[j] == 0) {
                    label[j] = next;
                    q.add(j);
                }
            }
            if (area > best) {
                best = area;
                bestInscribed = inscribed;
            }
        }
        return new int[] {best, bestInscribed};
    }
}
