package io.equilibria.physics;

import io.equilibria.image.Plane;
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
     */
    public static List<Plane> bornWolf(double na, double wavelengthNm, double pixelNm, double refractiveIndex,
                                       double zStepNm, int nz, int size) {
        checkOptics(na, wavelengthNm, pixelNm);
        if (na >= refractiveIndex) throw new IllegalArgumentException("NA must be below the refractive index");
        if (nz < 1) throw new IllegalArgumentException("need at least one z plane");
        int n = size > 0 ? size : Math.max(15, oddSize(8 * airyRadiusPixels(na, wavelengthNm, pixelNm)));
        double k = 2 * Math.PI / wavelengthNm;
        List<Plane> planes = new ArrayList<>();
        for (int iz = 0; iz < nz; iz++) {
            double z = (iz - (nz - 1) / 2.0) * zStepNm;
            // tabulate the radial profile finely, then sample it per sub-pixel
            double rMax = Math.sqrt(2) * (n / 2.0 + 1) * pixelNm;
            int nr = 4 * n + 64;
            double[] prof = new double[nr + 1];
            for (int i = 0; i <= nr; i++) prof[i] = bornWolfIntensity(k, na, refractiveIndex, i * rMax / nr, z);
            planes.add(normalise(sampleRadial(n, 1, 0, r -> {
                double pos = r * pixelNm / rMax * nr;
                int i0 = (int) Math.floor(pos);
                if (i0 >= nr) return prof[nr];
                double f = pos - i0;
                return prof[i0] * (1 - f) + prof[i0 + 1] * f;
            })));
        }
        return planes;
    }

    static double bornWolfIntensity(double k, double na, double n, double r, double z) {
        int steps = 400; // Simpson on rho in [0,1]
        double re = 0, im = 0, h = 1.0 / steps;
        for (int i = 0; i <= steps; i++) {
            double rho = i * h;
            double w = (i == 0 || i == steps) ? 1 : (i % 2 == 1 ? 4 : 2);
            double j0 = BesselJ.value(0, k * na * r * rho);
            double phase = -k * z * na * na * rho * rho / (2 * n);
            re += w * j0 * Math.cos(phase) * rho;
            im += w * j0 * Math.sin(phase) * rho;
        }
        re *= h / 3;
        im *= h / 3;
        return re * re + im * im;
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
