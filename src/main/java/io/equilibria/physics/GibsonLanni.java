package io.equilibria.physics;

import io.equilibria.image.Plane;
import io.equilibria.image.Volume;
import org.apache.commons.math3.special.BesselJ;

import java.util.ArrayList;
import java.util.List;

/**
 * The Gibson &amp; Lanni (1991) scalar 3D PSF of a widefield microscope whose sample, coverslip and immersion may
 * differ from the objective's design, written from the paper and its restatement by Li, Xue &amp; Blu (JOSA A 2017,
 * "Fast and accurate 3D PSF computation for fluorescence microscopy"). The pupil integral is computed directly
 * (Simpson on rho, not the Bessel-series approximation of Li et al.):
 * <pre>
 *   I(r, z) = | int_0^rhoMax J0(k NA r rho) exp(i k OPD(rho, z)) rho d rho |^2,   k = 2 pi / lambda
 *   OPD = p S(n_s) + t_i S(n_i) - t_i* S(n_i*) + t_g S(n_g) - t_g* S(n_g*),   S(n) = sqrt(n^2 - NA^2 rho^2)
 * </pre>
 * with p the particle's depth below the coverslip, t_g/t_g* the actual/design coverslip thickness and t_i* the
 * working distance (design immersion thickness). Stack axis: z is the nominal focal plane (stage position) relative
 * to the particle, positive deeper into the sample (away from the objective); moving it deeper by z thins the
 * immersion layer, t_i = t_i* - (p + z). With everything matched (n_s = n_i = n_i*, coverslip as designed) the OPD is
 * -z S(n_i): the non-paraxial form of Born &amp; Wolf defocus, which it approaches at low NA. With n_s &lt; n_i the
 * light focuses shallower than the nominal plane (by about depth (1 - n_s/n_i) paraxially), so a particle at depth
 * p is brightest when the nominal plane is deeper than it: at z ~ p (n_i/n_s - 1) &gt; 0 (paraxial; less at high NA).
 * Rays beyond the smallest index of any layer cannot reach the far field and are left out (rhoMax = min(1, n/NA)), as
 * MicroscPSF does.
 */
public final class GibsonLanni {
    /** Lengths: wavelength, pixel, z step and depth in nm; coverslip thickness and working distance in µm. */
    public record Params(double na, double wavelengthNm, double pixelNm, double zStepNm, int slices, int size,
                         double ni, double niDesign, double ns, double ng, double ngDesign,
                         double tgUm, double tgDesignUm, double workingDistanceUm, double depthNm) {
        public static final double NI = 1.518, NS = 1.33, NG = 1.5, TG_UM = 170, WD_UM = 150;

        public Params {
            if (!(na > 0 && na < 1.7)) throw new IllegalArgumentException("NA must be in (0, 1.7), got " + na);
            if (!(wavelengthNm > 100 && wavelengthNm < 2000))
                throw new IllegalArgumentException("wavelength must be in nm (100..2000), got " + wavelengthNm);
            if (!(pixelNm > 0) || !(zStepNm > 0)) throw new IllegalArgumentException("pixel size and z step must be > 0 nm");
            if (slices < 1) throw new IllegalArgumentException("need at least one z plane");
            if (size < 0 || (size > 0 && size % 2 == 0)) throw new IllegalArgumentException("size must be odd (0 = automatic)");
            for (double n : new double[] {ni, niDesign, ns, ng, ngDesign}) {
                if (!(n >= 1 && n < 3)) throw new IllegalArgumentException("refractive indices must be in [1, 3), got " + n);
            }
            if (!(tgUm >= 0) || !(tgDesignUm >= 0) || !(workingDistanceUm >= 0) || !(depthNm >= 0) || !Double.isFinite(depthNm)
                    || !Double.isFinite(tgUm + tgDesignUm + workingDistanceUm))
                throw new IllegalArgumentException("thicknesses, working distance and depth must be >= 0");
            if (na > Math.max(ni, niDesign)) throw new IllegalArgumentException("NA " + na + " exceeds the immersion index " + ni);
        }

        /** PSF Generator's (EPFL) defaults: oil immersion 1.518, water sample 1.33 at the coverslip, 170 µm glass 1.5, 150 µm working distance; design = actual. */
        public static Params of(double na, double wavelengthNm, double pixelNm, double zStepNm, int slices) {
            return new Params(na, wavelengthNm, pixelNm, zStepNm, slices, 0, NI, NI, NS, NG, NG, TG_UM, TG_UM, WD_UM, 0);
        }

        public Params withSize(int n) {
            return new Params(na, wavelengthNm, pixelNm, zStepNm, slices, n, ni, niDesign, ns, ng, ngDesign, tgUm, tgDesignUm, workingDistanceUm, depthNm);
        }

        public Params withImmersion(double actual, double design) {
            return new Params(na, wavelengthNm, pixelNm, zStepNm, slices, size, actual, design, ns, ng, ngDesign, tgUm, tgDesignUm, workingDistanceUm, depthNm);
        }

        public Params withSample(double index, double depth) {
            return new Params(na, wavelengthNm, pixelNm, zStepNm, slices, size, ni, niDesign, index, ng, ngDesign, tgUm, tgDesignUm, workingDistanceUm, depth);
        }

        public Params withCoverslip(double index, double design, double thicknessUm, double designThicknessUm) {
            return new Params(na, wavelengthNm, pixelNm, zStepNm, slices, size, ni, niDesign, ns, index, design, thicknessUm, designThicknessUm, workingDistanceUm, depthNm);
        }

        public Params withWorkingDistance(double um) {
            return new Params(na, wavelengthNm, pixelNm, zStepNm, slices, size, ni, niDesign, ns, ng, ngDesign, tgUm, tgDesignUm, um, depthNm);
        }

        /** Optical path difference (nm) at pupil radius rho for nominal focus z (nm) relative to the particle. */
        double opd(double rho, double z) {
            double a2 = na * na * rho * rho;
            double tg = tgUm * 1000, tg0 = tgDesignUm * 1000, ti0 = workingDistanceUm * 1000;
            double ti = ti0 - (depthNm + z);
            return depthNm * s(ns, a2) + ti * s(ni, a2) - ti0 * s(niDesign, a2) + tg * s(ng, a2) - tg0 * s(ngDesign, a2);
        }

        double rhoMax() {
            double n = Math.min(Math.min(ns, Math.min(ni, niDesign)), Math.min(ng, ngDesign));
            return Math.min(1, n / na);
        }

        private static double s(double n, double a2) { return Math.sqrt(Math.max(0, n * n - a2)); }
    }

    private GibsonLanni() {}

    /** The PSF on {@code slices} planes centred on the array centre (slice slices/2 is z = 0), normalised to unit total sum. */
    public static Volume volume(Params p) {
        return volume(p, 0, 0, 0);
    }

    /** As {@link #volume(Params)} with the particle moved by (ox, oy) pixels and oz slices from the array centre (tests). */
    static Volume volume(Params p, double ox, double oy, double oz) {
        int n = p.size() > 0 ? p.size() : Math.max(15, PsfGenerator.oddSize(8 * PsfGenerator.airyRadiusPixels(p.na(), p.wavelengthNm(), p.pixelNm())));
        double k = 2 * Math.PI / p.wavelengthNm();
        double[] zs = new double[p.slices()];
        for (int i = 0; i < zs.length; i++) zs[i] = (i - p.slices() / 2 - oz) * p.zStepNm();
        // the constant part of the OPD (rho = 0) is a global phase: drop it so the phase samples stay small numbers
        List<Plane> planes = integrate(p.na(), p.wavelengthNm(), p.pixelNm(), p.rhoMax(),
                (rho, z) -> k * (p.opd(rho, z) - p.opd(0, z)), zs, n, ox, oy);
        return unitSum(Volume.of(planes));
    }

    /** A pupil phase W(rho, z) in radians. */
    interface Phase {
        double at(double rho, double z);
    }

    /**
     * Planes of |int_0^rhoMax J0(k NA r rho) exp(i W(rho, z)) rho d rho|^2 at the given z, n x n pixels, integrated
     * over each pixel by sub-sampling a finely tabulated radial profile; not normalised. J0(k NA r rho) does not depend
     * on z, so it is tabulated once and each plane is one matrix-vector product.
     */
    static List<Plane> integrate(double na, double wavelengthNm, double pixelNm, double rhoMax, Phase w, double[] zs,
                                 int n, double ox, double oy) {
        double k = 2 * Math.PI / wavelengthNm;
        double rMax = (Math.sqrt(2) * (n / 2.0 + 1) + Math.hypot(ox, oy)) * pixelNm;
        int nr = 4 * n + 64;
        // Simpson needs ~16 samples per oscillation of the integrand: count J0's and the phase's over the pupil
        double cycles = k * na * rMax * rhoMax / (2 * Math.PI);
        double maxPhase = 0;
        for (double z : zs) {
            double prev = w.at(0, z);
            for (int i = 1; i <= 256; i++) {
                double cur = w.at(rhoMax * i / 256, z);
                maxPhase = Math.max(maxPhase, Math.abs(cur - prev) * 256);
                prev = cur;
            }
        }
        cycles += maxPhase / (2 * Math.PI);
        int steps = (int) Math.min(20000, Math.max(200, 16 * Math.ceil(cycles)));
        steps += steps % 2;
        double h = rhoMax / steps;
        double[][] table = new double[nr + 1][steps + 1]; // J0(k NA r rho) rho * Simpson weight * h/3
        for (int j = 0; j <= steps; j++) {
            double rho = j * h, wj = (j == 0 || j == steps) ? 1 : (j % 2 == 1 ? 4 : 2);
            for (int i = 0; i <= nr; i++) table[i][j] = j0(k * na * (i * rMax / nr) * rho) * rho * wj * h / 3;
        }
        List<Plane> planes = new ArrayList<>(zs.length);
        double[] cos = new double[steps + 1], sin = new double[steps + 1];
        for (double z : zs) {
            for (int j = 0; j <= steps; j++) {
                double ph = w.at(j * h, z);
                cos[j] = Math.cos(ph);
                sin[j] = Math.sin(ph);
            }
            double[] prof = new double[nr + 1];
            for (int i = 0; i <= nr; i++) {
                double re = 0, im = 0;
                double[] t = table[i];
                for (int j = 0; j <= steps; j++) {
                    re += t[j] * cos[j];
                    im += t[j] * sin[j];
                }
                prof[i] = re * re + im * im;
            }
            planes.add(PsfGenerator.sample(n, (x, y) -> {
                double pos = Math.hypot(x - ox, y - oy) * pixelNm / rMax * nr;
                int i0 = (int) pos;
                if (i0 >= nr) return prof[nr];
                double f = pos - i0;
                return prof[i0] * (1 - f) + prof[i0 + 1] * f;
            }));
        }
        return planes;
    }

    /** J0 by commons-math; the table holds up to ~10^6 values, evaluated once per PSF. */
    private static double j0(double x) {
        return x == 0 ? 1 : BesselJ.value(0, x);
    }

    static Volume unitSum(Volume v) {
        double s = v.sum();
        float[] d = new float[v.data().length];
        for (int i = 0; i < d.length; i++) d[i] = (float) (v.data()[i] / s);
        return new Volume(v.width(), v.height(), v.depth(), d);
    }
}
