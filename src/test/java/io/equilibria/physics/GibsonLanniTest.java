package io.equilibria.physics;

import io.equilibria.image.Volume;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 3D PSFs against known facts. Theory: the Airy FWHM 0.51 lambda/NA; the axial FWHM of paraxial defocus
 * (Born &amp; Wolf, on-axis intensity sinc^2(k z NA^2 / (4 n))) is 1.77 n lambda / NA^2, within 15% of the usual
 * 2 n lambda / NA^2; the non-paraxial on-axis intensity of Gibson-Lanni, |int exp(i k z S) S dS|^2 over S in
 * [sqrt(n^2 - NA^2), n], is close to sinc^2 with FWHM 0.886 lambda / (n - sqrt(n^2 - NA^2)), which is the paraxial
 * value at low NA and ~40% below it at NA 1.4 in oil. Measured values are printed.
 */
class GibsonLanniTest {
    static final double LAMBDA = 520;

    /** FWHM (in samples) of a profile with one central maximum, by linear interpolation of the half-maximum crossings. */
    static double fwhm(double[] f) {
        int m = 0;
        for (int i = 1; i < f.length; i++) if (f[i] > f[m]) m = i;
        double half = f[m] / 2;
        int a = m, b = m;
        while (a > 0 && f[a - 1] > half) a--;
        while (b < f.length - 1 && f[b + 1] > half) b++;
        assertTrue(a > 0 && b < f.length - 1, "profile must fall below half maximum inside the array");
        double left = a - (f[a] - half) / (f[a] - f[a - 1]);
        double right = b + (f[b] - half) / (f[b] - f[b + 1]);
        return right - left;
    }

    static double[] axial(Volume v) {
        double[] f = new double[v.depth()];
        for (int z = 0; z < f.length; z++) f[z] = v.get(v.width() / 2, v.height() / 2, z);
        return f;
    }

    static double[] lateral(Volume v, int z) {
        double[] f = new double[v.width()];
        for (int x = 0; x < f.length; x++) f[x] = v.get(x, v.height() / 2, z);
        return f;
    }

    /** Sub-slice position of the axial maximum (parabola through the top three samples). */
    static double peakSlice(Volume v) {
        double[] f = axial(v);
        int m = 1;
        for (int i = 1; i < f.length - 1; i++) if (f[i] > f[m]) m = i;
        double d = f[m - 1] - 2 * f[m] + f[m + 1];
        return m + 0.5 * (f[m - 1] - f[m + 1]) / d;
    }

    static void assertUnitSumNonNegative(Volume v) {
        assertEquals(1.0, v.sum(), 1e-4);
        assertTrue(v.min() >= 0);
    }

    static GibsonLanni.Params matched(double na, double n, double px, double dz, int nz) {
        return GibsonLanni.Params.of(na, LAMBDA, px, dz, nz).withImmersion(n, n).withSample(n, 0).withSize(15);
    }

    @Test
    void axialFwhmMatchesTheory() {
        double na = 1.4, n = 1.518, dz = 20;
        int nz = 161;
        Volume bw = PsfGenerator.bornWolfVolume(na, LAMBDA, 40, n, dz, nz, 15);
        double bwFwhm = fwhm(axial(bw)) * dz, paraxial = 1.77 * n * LAMBDA / (na * na), rule = 2 * n * LAMBDA / (na * na);
        System.out.printf("Born-Wolf NA %.2f: axial FWHM %.0f nm, paraxial 1.77n lambda/NA^2 %.0f, 2n lambda/NA^2 %.0f%n", na, bwFwhm, paraxial, rule);
        assertEquals(paraxial, bwFwhm, 0.03 * paraxial);
        assertEquals(rule, bwFwhm, 0.15 * rule);

        Volume gl = GibsonLanni.volume(matched(na, n, 40, dz, nz));
        assertUnitSumNonNegative(gl);
        double glFwhm = fwhm(axial(gl)) * dz, nonParaxial = 0.886 * LAMBDA / (n - Math.sqrt(n * n - na * na));
        System.out.printf("Gibson-Lanni matched NA %.2f: axial FWHM %.0f nm, 0.886 lambda/(n - sqrt(n^2-NA^2)) %.0f%n", na, glFwhm, nonParaxial);
        assertEquals(nonParaxial, glFwhm, 0.10 * nonParaxial);

        // at low NA the non-paraxial model meets the paraxial rule and Born & Wolf
        double lowNa = 0.5;
        Volume gl5 = GibsonLanni.volume(matched(lowNa, n, 80, 100, 121));
        Volume bw5 = PsfGenerator.bornWolfVolume(lowNa, LAMBDA, 80, n, 100, 121, 15);
        double gl5Fwhm = fwhm(axial(gl5)) * 100, bw5Fwhm = fwhm(axial(bw5)) * 100, rule5 = 2 * n * LAMBDA / (lowNa * lowNa);
        System.out.printf("NA %.2f: axial FWHM Gibson-Lanni %.0f nm, Born-Wolf %.0f nm, 2n lambda/NA^2 %.0f%n", lowNa, gl5Fwhm, bw5Fwhm, rule5);
        assertEquals(rule5, gl5Fwhm, 0.15 * rule5);
        assertEquals(bw5Fwhm, gl5Fwhm, 0.05 * bw5Fwhm);
    }

    @Test
    void matchedGibsonLanniIsBornWolfAtLowNa() {
        double na = 0.5, n = 1.518;
        Volume gl = GibsonLanni.volume(matched(na, n, 100, 400, 9).withSize(31));
        Volume bw = PsfGenerator.bornWolfVolume(na, LAMBDA, 100, n, 400, 9, 31);
        double err = 0, ref = 0;
        for (int i = 0; i < gl.data().length; i++) {
            err += Math.pow(gl.data()[i] - bw.data()[i], 2);
            ref += Math.pow(bw.data()[i], 2);
        }
        System.out.printf("NA 0.5: relative L2 difference Gibson-Lanni (matched) vs Born-Wolf %.4f%n", Math.sqrt(err / ref));
        assertTrue(Math.sqrt(err / ref) < 0.05);
    }

    @Test
    void lateralFwhmIsAiry() {
        double na = 1.4, n = 1.518, px = 10;
        Volume gl = GibsonLanni.volume(matched(na, n, px, 100, 3).withSize(101));
        Volume bw = PsfGenerator.bornWolfVolume(na, LAMBDA, px, n, 100, 3, 101);
        double airy = 0.514 * LAMBDA / na;
        double glF = fwhm(lateral(gl, 1)) * px, bwF = fwhm(lateral(bw, 1)) * px;
        System.out.printf("lateral FWHM at focus: Gibson-Lanni %.1f nm, Born-Wolf %.1f nm, 0.514 lambda/NA %.1f nm%n", glF, bwF, airy);
        assertEquals(airy, glF, 0.03 * airy);
        assertEquals(airy, bwF, 0.03 * airy);
    }

    @Test
    void matchedIsSymmetricInZAndMismatchIsNot() {
        Volume m = GibsonLanni.volume(matched(1.3, 1.518, 65, 150, 21).withSize(21));
        assertUnitSumNonNegative(m);
        int d = m.depth();
        for (int z = 0; z < d; z++) {
            for (int i = 0; i < m.width() * m.height(); i++) {
                float a = m.data()[z * m.width() * m.height() + i], b = m.data()[(d - 1 - z) * m.width() * m.height() + i];
                assertEquals(a, b, 1e-4 * m.max());
            }
        }
        // water sample 5 µm deep under oil: spherical aberration makes the axial profile lopsided
        Volume w = GibsonLanni.volume(GibsonLanni.Params.of(1.3, LAMBDA, 65, 150, 41).withSample(1.33, 5000).withSize(21));
        assertUnitSumNonNegative(w);
        double asym = 0, tot = 0;
        double[] f = axial(w);
        int c = (int) Math.round(peakSlice(w));
        for (int k = 1; c - k >= 0 && c + k < f.length; k++) {
            asym += Math.abs(f[c - k] - f[c + k]);
            tot += f[c - k] + f[c + k];
        }
        System.out.printf("axial asymmetry about the peak, water at 5 µm under oil: %.2f (0 = symmetric)%n", asym / tot);
        assertTrue(asym / tot > 0.1, "mismatch must break the z symmetry");
    }

    /**
     * A bead at depth p in water under oil: the light focuses shallower than the nominal plane (toward the coverslip),
     * so the PSF peaks with the nominal plane deeper than the bead, at p / s for an axial scale s. Paraxially
     * s = n_s/n_i (0.876); rays at the aperture's edge focus at s = tan(theta_i)/tan(theta_s) (Snell), much shallower,
     * so at high NA the intensity peak's s lies between the two (reported near 0.7-0.8 for NA 1.3-1.4).
     */
    @Test
    void focalShiftWithDepthInWater() {
        double ni = 1.518, ns = 1.33, depth = 2000, dz = 25;
        int nz = 161;
        double[] scales = new double[2];
        double[] nas = {0.5, 1.3};
        for (int i = 0; i < 2; i++) {
            double na = nas[i];
            GibsonLanni.Params base = GibsonLanni.Params.of(na, LAMBDA, 65, dz, nz).withSize(9);
            assertEquals(nz / 2, peakSlice(GibsonLanni.volume(base.withSample(ns, 0))), 0.05, "no depth, no shift");
            double shift = (peakSlice(GibsonLanni.volume(base.withSample(ns, depth))) - nz / 2) * dz;
            scales[i] = depth / (depth + shift);
            double marginal = Math.tan(Math.asin(na / ni)) / Math.tan(Math.asin(na / ns));
            System.out.printf("water at %.0f nm under oil, NA %.2f: PSF peak with the nominal plane %+.0f nm deeper than the bead; "
                    + "axial scale %.3f (paraxial n_s/n_i %.3f, marginal ray %.3f); paraxial shift depth (n_i/n_s - 1) = %.0f nm%n",
                    depth, na, shift, scales[i], ns / ni, marginal, depth * (ni / ns - 1));
            assertTrue(shift > 0, "the nominal plane must go deeper than the bead");
            assertTrue(scales[i] <= ns / ni + 0.01 && scales[i] > marginal, "scale between paraxial and marginal-ray values");
        }
        assertEquals(ns / ni, scales[0], 0.02, "low NA: paraxial");
        assertTrue(scales[1] > 0.65 && scales[1] < 0.85, "high NA: " + scales[1]);
        // the shift grows with depth, about linearly
        GibsonLanni.Params base = GibsonLanni.Params.of(1.3, LAMBDA, 65, dz, nz).withSize(9);
        double s1 = peakSlice(GibsonLanni.volume(base.withSample(ns, depth))) - nz / 2;
        double s2 = peakSlice(GibsonLanni.volume(base.withSample(ns, 1.5 * depth))) - nz / 2;
        assertEquals(1.5 * s1, s2, 0.15 * s1);
    }

    @Test
    void specsGiveVolumesWithVoxelSizesAndClearErrors() {
        Psf gl = PsfSpec.parse("gibsonlanni:1.3,520,65,150,9,ns=1.33,depth=2000,tg=170").loadVolume();
        assertTrue(gl.isVolume());
        assertEquals(1.0, gl.volume().sum(), 1e-4);
        assertEquals(0.065, gl.voxel().pixelWidth(), 1e-12);
        assertEquals(0.15, gl.voxel().pixelDepth(), 1e-12);
        assertEquals(9, PsfSpec.parse("gibsonlanni:1.3,520,65,150,9").frames(9, 1).size(), "per-frame stack for multi-frame");
        Psf bw = PsfSpec.parse("bornwolf:1.2,520,65,1.33,150,9").load();
        assertTrue(!bw.isVolume());
        assertEquals(1.0, bw.plane(0).sum(), 1e-5, "load() keeps the per-plane normalisation");
        for (String bad : new String[] {"gibsonlanni:1.3,520,65,150", "gibsonlanni:1.3,520,65,150,9,nx=2",
                "gibsonlanni:1.3,520,65,150,9,depth=-1", "gibsonlanni:1.6,520,65,150,9", "gibsonlanni:1.3,520,65,150,9.5"}) {
            assertThrows(io.equilibria.errors.InputException.class, () -> PsfSpec.parse(bad).loadVolume(), bad);
        }
        assertEquals(1.0, PsfSpec.parse("gibsonlanni:1.6,520,65,150,3,ni=1.78,ni0=1.78,ns=1.7,ng=1.78").loadVolume().volume().sum(), 1e-4,
                "NA 1.6 is fine under an index-1.78 immersion");
        assertThrows(io.equilibria.errors.InputException.class, () -> PsfSpec.parse("gaussian:2").loadVolume());
        assertThrows(io.equilibria.errors.InputException.class, () -> PsfSpec.parse("gaussian:2").load().volume());
    }
}
