package io.equilibria.train.data;

import io.equilibria.image.Volume;
import io.equilibria.train.data.VolumePhantomGenerator.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 3D phantoms: determinism, range, and each kind's structure, measured with detectors that share no code with the
 * generator (a thinness test, neighbour counts, connected components and their moments, a per-slice distance to
 * the background); anisotropic voxels by drawing one specimen at two z steps.
 */
public class VolumePhantomGeneratorTest {
    static final float BRIGHT = 0.3f;

    @Test
    void sameSeedSameVolumeOtherSeedOrVoxelSizeOther() {
        for (Kind k : Kind.values()) {
            VolumePhantomGenerator g = new VolumePhantomGenerator(k);
            float[] a = g.generate(48, 40, 16, 0.1, 0.25, 7).data();
            assertArrayEquals(a, g.generate(48, 40, 16, 0.1, 0.25, 7).data(), k + ": same seed");
            assertFalse(Arrays.equals(a, g.generate(48, 40, 16, 0.1, 0.25, 8).data()), k + ": other seed");
            assertFalse(Arrays.equals(a, g.generate(48, 40, 16, 0.1, 0.3, 7).data()), k + ": other z step");
        }
        assertEquals(Kind.MIXTURE, new VolumePhantomGenerator().kind());
    }

    @Test
    void finiteNonNegativePeakExactlyOneAnySize() {
        for (Kind k : Kind.values()) {
            for (int[] s : new int[][] {{32, 20, 5}, {64, 64, 32}, {7, 9, 1}}) {
                for (long seed = 1; seed <= 3; seed++) {
                    Volume v = new VolumePhantomGenerator(k).generate(s[0], s[1], s[2], seed);
                    assertEquals(s[0] * s[1] * s[2], v.data().length);
                    for (float x : v.data()) assertTrue(Float.isFinite(x) && x >= 0, k + " finite, non-negative");
                    assertEquals(1f, v.max(), 0f, k + " peak exactly 1");
                }
            }
            assertTrue(new VolumePhantomGenerator(k).generate(64, 64, 32, 3).min() < 0.1, k + " has a dark background");
        }
        assertThrows(IllegalArgumentException.class, () -> new VolumePhantomGenerator().generate(0, 5, 5, 1));
        assertThrows(IllegalArgumentException.class, () -> new VolumePhantomGenerator().generate(5, 5, 5, 0.1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new VolumePhantomGenerator(null));
    }

    @Test
    void filamentsAreThinCellsAreNot() {
        for (long seed = 1; seed <= 3; seed++) {
            double f = thinFraction(new VolumePhantomGenerator(Kind.FILAMENTS).generate(96, 96, 24, seed), 2.5);
            double c = thinFraction(new VolumePhantomGenerator(Kind.CELLS).generate(128, 128, 32, seed), 2.5);
            assertTrue(f > 0.95, "filaments seed " + seed + ": only " + f + " of bright voxels are near a dark one");
            assertTrue(c < 0.8, "cells seed " + seed + ": " + c + " of bright voxels are near a dark one");
        }
    }

    /** On isotropic voxels a sheet has many more bright neighbours than a tube of the same width. */
    @Test
    void membranesAreSheetsFilamentsAreLines() {
        for (long seed = 1; seed <= 3; seed++) {
            double f = medianNeighbours(new VolumePhantomGenerator(Kind.FILAMENTS).generate(80, 80, 80, 0.1, 0.1, seed));
            double m = medianNeighbours(new VolumePhantomGenerator(Kind.MEMBRANES).generate(80, 80, 80, 0.1, 0.1, seed));
            assertTrue(m > 2 * f, "seed " + seed + ": median bright neighbours, membranes " + m + ", filaments " + f);
        }
    }

    /**
     * One specimen, two z steps: with the same lateral size and the same physical depth (60 x 0.1 µm = 20 x 0.3 µm)
     * the generator draws the same beads. Resolved beads are round in physical units (z and x widths agree on
     * isotropic voxels), and their z width in voxels shrinks by the voxel aspect ratio, 3.
     */
    @Test
    void beadsAreSpheresInPhysicalUnitsSquashedInZVoxels() {
        List<Double> roundness = new ArrayList<>(), shrink = new ArrayList<>();
        for (long seed = 1; seed <= 4; seed++) {
            VolumePhantomGenerator g = new VolumePhantomGenerator(Kind.BEADS);
            Volume iso = g.generate(96, 96, 60, 0.1, 0.1, seed), aniso = g.generate(96, 96, 20, 0.1, 0.3, seed);
            for (int[] box : components(iso, 0.1f)) {
                if (box[6] < 60) continue; // resolved beads only: sub-resolution ones are the size of a voxel
                double[] si = moments(iso, box[0], box[1], box[2], box[3], box[4], box[5], median(iso));
                double[] sa = moments(aniso, box[0], box[1], box[2], box[3], box[4] / 3, (box[5] + 2) / 3, median(aniso));
                roundness.add(si[2] / Math.sqrt(si[0] * si[1]));
                shrink.add(si[2] / sa[2]);
            }
        }
        assertTrue(roundness.size() >= 10, "resolved beads found: " + roundness.size());
        assertEquals(1, median(roundness), 0.15, "z/x width on isotropic voxels " + roundness);
        assertEquals(3, median(shrink), 0.45, "z width in voxels, 0.1 vs 0.3 µm steps " + shrink);
    }

    /** A cell's top membrane is brighter than the cytoplasm under it. */
    @Test
    void cellsHaveABrightShellAroundADimmerInterior() {
        for (long seed = 1; seed <= 5; seed++) {
            double[] c = topAndUnder(new VolumePhantomGenerator(Kind.CELLS).generate(128, 128, 32, seed), 0.03f);
            assertTrue(c[0] > 2 * c[1], "seed " + seed + ": top membrane " + c[0] + ", under it " + c[1]);
            assertTrue(c[2] > 0.3 * 128 * 128, "seed " + seed + ": columns through a cell " + c[2]);
        }
    }

    @Test
    void mixturesVaryInContent() {
        VolumePhantomGenerator g = new VolumePhantomGenerator();
        int withCells = 0;
        for (long seed = 1; seed <= 10; seed++) {
            Volume v = g.generate(96, 96, 24, seed);
            int lit = 0; // cells fill their volume; filaments, beads and sheets are sparse
            for (float x : v.data()) if (x > 0.03) lit++;
            if (lit > 0.1 * v.data().length) withCells++;
        }
        assertTrue(withCells >= 2 && withCells <= 9, "mixtures with cells: " + withCells);
    }

    // ---- detectors ----------------------------------------------------------------------------------------------

    /** Fraction of bright voxels (> 0.3) with a voxel below a quarter of theirs within 3 lateral px, measured
     *  physically (a z step is {@code aspect} px): a sheet lying in the plane is thin across the planes. */
    static double thinFraction(Volume v, double aspect) {
        int bright = 0, thin = 0, w = v.width(), h = v.height();
        for (int z = 0; z < v.depth(); z++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    float c = v.get(x, y, z);
                    if (c < BRIGHT) continue;
                    bright++;
                    search:
                    for (int dz = -(int) (3 / aspect); dz <= (int) (3 / aspect); dz++)
                        for (int dy = -3; dy <= 3; dy++)
                            for (int dx = -3; dx <= 3; dx++) {
                                int xx = x + dx, yy = y + dy, zz = z + dz;
                                if (dx * dx + dy * dy + dz * dz * aspect * aspect > 9 || xx < 0 || yy < 0 || zz < 0
                                        || xx >= w || yy >= h || zz >= v.depth()) continue;
                                if (v.get(xx, yy, zz) < 0.25 * c) {
                                    thin++;
                                    break search;
                                }
                            }
                }
        assertTrue(bright > 50, "too few bright voxels: " + bright);
        return thin / (double) bright;
    }

    /** Median, over voxels above 0.2, of the voxels above half of theirs within a radius of 5 voxels. */
    static double medianNeighbours(Volume v) {
        List<Double> counts = new ArrayList<>();
        for (int z = 5; z < v.depth() - 5; z++)
            for (int y = 5; y < v.height() - 5; y++)
                for (int x = 5; x < v.width() - 5; x++) {
                    float c = v.get(x, y, z);
                    if (c < 0.2) continue;
                    int n = 0;
                    for (int dz = -5; dz <= 5; dz++)
                        for (int dy = -5; dy <= 5; dy++)
                            for (int dx = -5; dx <= 5; dx++)
                                if (dx * dx + dy * dy + dz * dz <= 25 && v.get(x + dx, y + dy, z + dz) > 0.5 * c) n++;
                    counts.add((double) n);
                }
        assertTrue(counts.size() > 100, "too few bright voxels: " + counts.size());
        return median(counts);
    }

    /** 26-connected components above a level, not touching the border: {x0, x1, y0, y1, z0, z1, voxels}. */
    static List<int[]> components(Volume v, float level) {
        int w = v.width(), h = v.height(), d = v.depth();
        boolean[] seen = new boolean[w * h * d];
        List<int[]> out = new ArrayList<>();
        for (int start = 0; start < seen.length; start++) {
            if (seen[start] || v.data()[start] < level) continue;
            int[] box = {w, -1, h, -1, d, -1, 0};
            ArrayDeque<Integer> queue = new ArrayDeque<>();
            queue.add(start);
            seen[start] = true;
            while (!queue.isEmpty()) {
                int k = queue.poll(), x = k % w, y = (k / w) % h, z = k / (w * h);
                box[0] = Math.min(box[0], x); box[1] = Math.max(box[1], x);
                box[2] = Math.min(box[2], y); box[3] = Math.max(box[3], y);
                box[4] = Math.min(box[4], z); box[5] = Math.max(box[5], z);
                box[6]++;
                for (int dz = -1; dz <= 1; dz++)
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) {
                            int xx = x + dx, yy = y + dy, zz = z + dz;
                            if (xx < 0 || yy < 0 || zz < 0 || xx >= w || yy >= h || zz >= d) continue;
                            int kk = (zz * h + yy) * w + xx;
                            if (!seen[kk] && v.data()[kk] >= level) {
                                seen[kk] = true;
                                queue.add(kk);
                            }
                        }
            }
            boolean inside = box[0] > 0 && box[2] > 0 && box[4] > 0 && box[1] < w - 1 && box[3] < h - 1 && box[5] < d - 1;
            if (inside) out.add(box);
        }
        return out;
    }

    /** Widths (x, y, z, in voxels, the voxel's own 1/12 removed) weighted by the intensity above the background,
     *  over a box grown by 1. */
    static double[] moments(Volume v, int x0, int x1, int y0, int y1, int z0, int z1, double background) {
        double s = 0, mx = 0, my = 0, mz = 0, xx = 0, yy = 0, zz = 0;
        for (int z = Math.max(0, z0 - 1); z <= Math.min(v.depth() - 1, z1 + 1); z++)
            for (int y = Math.max(0, y0 - 1); y <= Math.min(v.height() - 1, y1 + 1); y++)
                for (int x = Math.max(0, x0 - 1); x <= Math.min(v.width() - 1, x1 + 1); x++) {
                    double c = Math.max(0, v.get(x, y, z) - background);
                    s += c; mx += c * x; my += c * y; mz += c * z;
                    xx += c * x * x; yy += c * y * y; zz += c * z * z;
                }
        mx /= s; my /= s; mz /= s;
        return new double[] {Math.sqrt(xx / s - mx * mx - 1 / 12.0), Math.sqrt(yy / s - my * my - 1 / 12.0),
                Math.sqrt(Math.max(0, zz / s - mz * mz - 1 / 12.0))};
    }

    /**
     * Along each z column that enters a cell from above: the top membrane (the brightest of the two highest voxels
     * above {@code level}) against the cytoplasm two z steps under it (0.5 µm, clear of the membrane and above the
     * nucleus). Medians over the columns, and the number of columns.
     */
    static double[] topAndUnder(Volume v, float level) {
        List<Double> top = new ArrayList<>(), under = new ArrayList<>();
        for (int y = 0; y < v.height(); y++)
            for (int x = 0; x < v.width(); x++) {
                int zt = v.depth() - 1;
                while (zt >= 0 && v.get(x, y, zt) < level) zt--;
                if (zt < 3 || zt == v.depth() - 1) continue; // no cell, or its top is outside the volume
                int peak = v.get(x, y, zt) >= v.get(x, y, zt - 1) ? zt : zt - 1;
                top.add((double) v.get(x, y, peak));
                under.add((double) v.get(x, y, peak - 2));
            }
        return new double[] {top.isEmpty() ? 0 : median(top), under.isEmpty() ? 0 : median(under), top.size()};
    }

    static double median(Volume v) {
        float[] a = v.data().clone();
        Arrays.sort(a);
        return a[a.length / 2];
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a[a.length / 2];
    }
}
