package io.equilibria.physics;

import io.equilibria.image.Plane;
import io.equilibria.image.Volume;
import org.apache.commons.math3.special.BesselJ;
import org.apache.commons.math3.special.Erf;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleBinaryOperator;

/**
 * Analytic PSFs, integrated over each pixel (Gaussian exactly by erf, the others by sub-pixel sampling):
 * Gaussian (sigma in px), 2D Airy (NA, wavelength, pixel size) and the 3D Born &amp; Wolf scalar defocus model.
 * Anisotropic variants (for multi-view frames) stretch the coordinates along an angle.
 */
public final class PsfGenerator {
    private static final int SUBSAMPLES = 5;
    /** First zero of J1: the Airy radius is J1_ZERO / (2 pi) * lambda / NA = 0.6098 lambda / NA. */
    public static final double J1_ZERO = 3.8317059702075125;

    private PsfGenerator() {}

    /** Odd size that holds the PSF out to {@code radius} pixels, at least 3. */
    static int oddSize(double radius) {
        int half = Math.max(1, (int) Math.ceil(radius));
        return 2 * half + 1;
    }

    /** Isotropic Gaussian, pixel-integrated; size 2*ceil(4 sigma)+1 unless given (odd). */
    public static Plane gaussian(double sigma, int size) {
        if (!(sigma > 0) || !Double.isFinite(sigma)) throw new IllegalArgumentException("Gaussian sigma must be > 0");
        int n = size > 0 ? size : oddSize(4 * sigma);
        double[] g = new double[n];
        int c = n / 2;
        for (int i = 0; i < n; i++) {
            double a = (i - c - 0.5) / (Math.sqrt(2) * sigma), b = (i - c + 0.5) / (Math.sqrt(2) * sigma);
            g[i] = 0.5 * (Erf.erf(b) - Erf.erf(a));
        }
        float[] d = new float[n * n];
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) d[y * n + x] = (float) (g[y] * g[x]);
        return normalise(new Plane(n, n, d));
    }

    /** Radius (pixels) of the Airy disk's first dark ring. */
    public static double airyRadiusPixels(double na, double wavelengthNm, double pixelNm) {
        return J1_ZERO / (2 * Math.PI) * wavelengthNm / na / pixelNm;
    }

    /** 2D Airy pattern [2 J1(v)/v]^2 with v = 2 pi NA r / lambda; default size covers 6 dark rings. */
    public static Plane airy(double na, double wavelengthNm, double pixelNm, int size) {
        checkOptics(na, wavelengthNm, pixelNm);
        double k = 2 * Math.PI * na / wavelengthNm * pixelNm; // v per pixel
        int n = size > 0 ? size : Math.max(15, oddSize(6 * airyRadiusPixels(na, wavelengthNm, pixelNm)));
        return normalise(sampleRadial(n, 1, 0, r -> airyIntensity(k * r)));
    }

    static double airyIntensity(double v) {
        if (v < 1e-8) return 1;
        double j = 2 * BesselJ.value(1, v) / v;
        return j * j;
    }

    /**
     * Born &amp; Wolf 3D PSF: I(r, z) = |int_0^1 J0(k NA r rho) exp(-i k z NA^2 rho^2 / (2 n)) rho d rho|^2, k =
     * 2 pi / lambda, immersion index n; {@code nz} planes centred on focus, {@code zStepNm} apart. Each plane is
     * normalised to unit sum (a focus series for multi-frame deblurring; the energy per plane is the same physically).
     * For a 3D PSF normalised as one volume see {@link #bornWolfVolume}.
     */
    public static List<Plane> bornWolf(double na, double wavelengthNm, double pixelNm, double refractiveIndex,
                                       double zStepNm, int nz, int size) {
        double[] zs = new double[Math.max(nz, 0)];
        for (int iz = 0; iz < zs.length; iz++) zs[iz] = (iz - (nz - 1) / 2.0) * zStepNm;
        List<Plane> planes = new ArrayList<>();
        for (Plane p : bornWolfRaw(na, wavelengthNm, pixelNm, refractiveIndex, zs, size, 0, 0)) planes.add(normalise(p));
        return planes;
    }

    /**
     * The Born &amp; Wolf PSF as one volume: {@code nz} planes with focus on slice nz/2 (the array centre), normalised to
     * unit total sum, so that out-of-focus planes keep their (physically equal, here box-truncated) share of the light.
     */
    public static Volume bornWolfVolume(double na, double wavelengthNm, double pixelNm, double refractiveIndex,
                                        double zStepNm, int nz, int size) {
        return bornWolfVolume(na, wavelengthNm, pixelNm, refractiveIndex, zStepNm, nz, size, 0, 0, 0);
    }

    /** As above with the emitter moved by (ox, oy) pixels and oz slices from the array centre (synthetic bead data). */
    static Volume bornWolfVolume(double na, double wavelengthNm, double pixelNm, double refractiveIndex,
                                 double zStepNm, int nz, int size, double ox, double oy, double oz) {
        double[] zs = new double[Math.max(nz, 0)];
        for (int iz = 0; iz < zs.length; iz++) zs[iz] = (iz - nz / 2 - oz) * zStepNm;
        return GibsonLanni.unitSum(Volume.of(bornWolfRaw(na, wavelengthNm, pixelNm, refractiveIndex, zs, size, ox, oy)));
    }

    private static List<Plane> bornWolfRaw(double na, double wavelengthNm, double pixelNm, double refractiveIndex,
                                           double[] zs, int size, double ox, double oy) {
        checkOptics(na, wavelengthNm, pixelNm);
        if (na >= refractiveIndex) throw new IllegalArgumentException("NA must be below the refractive index");
        if (zs.length < 1) throw new IllegalArgumentException("need at least one z plane");
        if (!(zs.length == 1 || Math.abs(zs[1] - zs[0]) > 0)) throw new IllegalArgumentException("z step must be > 0");
        int n = size > 0 ? size : Math.max(15, oddSize(8 * airyRadiusPixels(na, wavelengthNm, pixelNm)));
        double k = 2 * Math.PI / wavelengthNm;
        return GibsonLanni.integrate(na, wavelengthNm, pixelNm, 1,
                (rho, z) -> -k * z * na * na * rho * rho / (2 * refractiveIndex), zs, n, ox, oy);
    }

    /** A radial profile f(r) sampled over each pixel with SUBSAMPLES^2 points; stretched by {@code stretch} along
     * angle {@code theta} (radians) so that rotated copies give multi-view PSFs. */
    public static Plane sampleRadial(int n, double stretch, double theta, java.util.function.DoubleUnaryOperator f) {
        double c = Math.cos(theta), s = Math.sin(theta);
        return sample(n, (x, y) -> {
            double u = (x * c + y * s) / stretch, v = -x * s + y * c;
            return f.applyAsDouble(Math.hypot(u, v));
        });
    }

    static Plane sample(int n, DoubleBinaryOperator f) {
        int cc = n / 2;
        float[] d = new float[n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                double acc = 0;
                for (int sy = 0; sy < SUBSAMPLES; sy++) {
                    for (int sx = 0; sx < SUBSAMPLES; sx++) {
                        double px = x - cc + (sx + 0.5) / SUBSAMPLES - 0.5, py = y - cc + (sy + 0.5) / SUBSAMPLES - 0.5;
                        acc += f.applyAsDouble(px, py);
                    }
                }
                d[y * n + x] = (float) (acc / (SUBSAMPLES * SUBSAMPLES));
            }
        }
        return new Plane(n, n, d);
    }

    /** Anisotropic Gaussian for multi-view frames: sigma along angle theta times stretch. */
    public static Plane gaussianStretched(double sigma, double stretch, double theta, int size) {
        int n = size > 0 ? size : oddSize(4 * sigma * stretch);
        return normalise(sampleRadial(n, stretch, theta, r -> Math.exp(-r * r / (2 * sigma * sigma))));
    }

    public static Plane airyStretched(double na, double wavelengthNm, double pixelNm, double stretch, double theta,
                                      int size) {
        checkOptics(na, wavelengthNm, pixelNm);
        double k = 2 * Math.PI * na / wavelengthNm * pixelNm;
        int n = size > 0 ? size : Math.max(15, oddSize(6 * stretch * airyRadiusPixels(na, wavelengthNm, pixelNm)));
        return normalise(sampleRadial(n, stretch, theta, r -> airyIntensity(k * r)));
    }

    private static void checkOptics(double na, double wavelengthNm, double pixelNm) {
        if (!(na > 0 && na < 1.7)) throw new IllegalArgumentException("NA must be in (0, 1.7), got " + na);
        if (!(wavelengthNm > 100 && wavelengthNm < 2000))
            throw new IllegalArgumentException("wavelength must be in nm (100..2000), got " + wavelengthNm);
        if (!(pixelNm > 0)) throw new IllegalArgumentException("pixel size must be > 0 nm, got " + pixelNm);
    }

    static Plane normalise(Plane p) {
        double s = p.sum();
        float[] d = new float[p.data().length];
        for (int i = 0; i < d.length; i++) d[i] = (float) (p.data()[i] / s);
        return new Plane(p.width(), p.height(), d);
    }
}
