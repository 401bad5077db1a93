package io.equilibria.physics;

import io.equilibria.errors.InputException;
import io.equilibria.image.Volume;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A PSF measured from synthetic bead stacks (Born &amp; Wolf beads at sub-voxel offsets, background, Poisson-like noise). */
class BeadPsfTest {
    static final double NA = 1.2, LAMBDA = 520, PX = 100, N = 1.33, DZ = 200;
    static final int W = 31, D = 21;

    /** A stack with one bead per (x, y, z) centre, of the given peak photon counts, on a background of 100. */
    static Volume beads(int size, int depth, double[][] centres, double peak, long seed) {
        float[] acc = new float[size * size * depth];
        for (double[] c : centres) {
            // the generator centres the emitter at (size/2 + ox, size/2 + oy, depth/2 + oz)
            Volume b = PsfGenerator.bornWolfVolume(NA, LAMBDA, PX, N, DZ, depth, size,
                    c[0] - size / 2, c[1] - size / 2, c[2] - depth / 2);
            double scale = peak / b.max();
            for (int i = 0; i < acc.length; i++) acc[i] += (float) (b.data()[i] * scale);
        }
        Random r = new Random(seed);
        for (int i = 0; i < acc.length; i++) {
            double mean = acc[i] + 100;
            acc[i] = (float) Math.max(0, mean + Math.sqrt(mean) * r.nextGaussian());
        }
        return new Volume(size, size, depth, acc);
    }

    static double[] centroid(Volume v) {
        double s = 0, x = 0, y = 0, z = 0;
        for (int k = 0; k < v.depth(); k++) {
            for (int j = 0; j < v.height(); j++) {
                for (int i = 0; i < v.width(); i++) {
                    double a = v.get(i, j, k);
                    s += a;
                    x += a * i;
                    y += a * j;
                    z += a * k;
                }
            }
        }
        return new double[] {x / s, y / s, z / s};
    }

    static double relativeError(Volume a, Volume truth) {
        double e = 0, t = 0;
        for (int i = 0; i < a.data().length; i++) {
            e += Math.pow(a.data()[i] - truth.data()[i], 2);
            t += Math.pow(truth.data()[i], 2);
        }
        return Math.sqrt(e / t);
    }

    static Volume truth() {
        return PsfGenerator.bornWolfVolume(NA, LAMBDA, PX, N, DZ, D, W);
    }

    /**
     * What a bead measurement can recover: the widefield halo reaching the box's faces is indistinguishable from
     * background (here 17% of the box's flux), so the reference is the true PSF less its own face median, clipped.
     */
    static Volume truthInBox() {
        Volume t = truth();
        double[] d = new double[t.data().length];
        for (int i = 0; i < d.length; i++) d[i] = t.data()[i];
        double b = BeadPsf.borderMedian(d, W, W, D), s = 0;
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) s += f[i] = (float) Math.max(0, d[i] - b);
        for (int i = 0; i < d.length; i++) f[i] /= s;
        return new Volume(W, W, D, f);
    }

    @Test
    void oneOffCentreBeadGivesACentredPsfCloseToTheTruth() {
        Volume stack = beads(63, 41, new double[][] {{29.3, 33.6, 19.35}}, 3000, 1);
        BeadPsf.Result r = BeadPsf.extract(stack, W, W, D, 1);
        Volume psf = r.psf();
        assertEquals(1.0, psf.sum(), 1e-4);
        assertTrue(psf.min() >= 0);
        double[] c = centroid(psf), found = r.beads().get(0);
        double err = relativeError(psf, truthInBox()), raw = relativeError(psf, truth());
        System.out.printf("one bead: found at (%.2f, %.2f, %.2f) (true 29.30, 33.60, 19.35); PSF centroid (%.3f, %.3f, %.3f) "
                + "vs centre (15, 15, 10); relative L2 error %.3f vs the truth in the box (%.3f vs the truth with its halo)%n",
                found[0], found[1], found[2], c[0], c[1], c[2], err, raw);
        assertEquals(29.3, found[0], 0.25);
        assertEquals(33.6, found[1], 0.25);
        assertEquals(19.35, found[2], 0.25);
        assertEquals(W / 2, c[0], 0.25);
        assertEquals(W / 2, c[1], 0.25);
        assertEquals(D / 2, c[2], 0.25);
        assertTrue(err < 0.15, "relative error " + err);
    }

    @Test
    void noiseFreeBeadIsExactUpToTheHalo() {
        Volume stack = beads(63, 41, new double[][] {{29.3, 33.6, 19.35}}, 3e7, 1); // noise ~ 0.02% of the peak
        double err = relativeError(BeadPsf.extract(stack, W, W, D, 1).psf(), truthInBox());
        System.out.printf("noise-free bead: relative L2 error %.4f vs the truth in the box%n", err);
        assertTrue(err < 0.01, "error " + err);
    }

    @Test
    void averagingBeadsLowersTheError() {
        double[][] centres = {{20.4, 21.7, 19.8}, {60.6, 24.2, 20.3}, {22.1, 61.45, 20.6}, {61.0, 60.0, 19.5}};
        Volume stack = beads(83, 41, centres, 1500, 2);
        Volume truth = truthInBox();
        double one = relativeError(BeadPsf.extract(stack, W, W, D, 1).psf(), truth);
        BeadPsf.Result all = BeadPsf.extract(stack, W, W, D, 4);
        double four = relativeError(all.psf(), truth);
        double[] c = centroid(all.psf());
        System.out.printf("four beads: relative error %.3f (one bead %.3f); centroid (%.3f, %.3f, %.3f)%n", four, one, c[0], c[1], c[2]);
        assertEquals(4, all.beads().size());
        assertTrue(four < one, "averaging must help");
        assertEquals(W / 2, c[0], 0.25);
        assertEquals(W / 2, c[1], 0.25);
        assertEquals(D / 2, c[2], 0.25);
    }

    @Test
    void crowdedBeadsAreSkippedAndEmptyStacksRefused() {
        // two beads 6 voxels apart and one alone: only the lone one is used
        Volume stack = beads(83, 41, new double[][] {{20, 20, 20}, {26, 21, 20}, {60.3, 60.2, 20.1}}, 2000, 3);
        BeadPsf.Result r = BeadPsf.extract(stack, W, W, D, 3);
        assertEquals(1, r.beads().size());
        assertEquals(60.3, r.beads().get(0)[0], 0.3);
        assertTrue(r.description().contains("crowded"), r.description());
        assertThrows(InputException.class, () -> BeadPsf.extract(beads(63, 41, new double[0][], 0, 4), W, W, D, 1));
        assertThrows(InputException.class, () -> BeadPsf.extract(beads(31, 21, new double[][] {{15, 15, 10}}, 1000, 5), W, W, D, 1));
        assertThrows(InputException.class, () -> BeadPsf.extract(stack, 30, W, D, 1));
    }

    @Test
    void fourierShiftMovesAGaussianBySubVoxels() {
        int n = 21;
        double[] box = new double[n * n * n];
        for (int z = 0, i = 0; z < n; z++) for (int y = 0; y < n; y++) for (int x = 0; x < n; x++, i++)
            box[i] = Math.exp(-((x - 10) * (x - 10) + (y - 10) * (y - 10) + (z - 10) * (z - 10)) / 8.0);
        double[] s = BeadPsf.shifted(box, n, n, n, new double[] {0.3, -0.4, 0.25});
        double sw = 0, sx = 0, sy = 0, sz = 0;
        for (int z = 0, i = 0; z < n; z++) for (int y = 0; y < n; y++) for (int x = 0; x < n; x++, i++) {
            sw += s[i];
            sx += s[i] * x;
            sy += s[i] * y;
            sz += s[i] * z;
        }
        assertEquals(10.3, sx / sw, 1e-3);
        assertEquals(9.6, sy / sw, 1e-3);
        assertEquals(10.25, sz / sw, 1e-3);
    }
}
