package io.equilibria.priors;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.image.Plane;
import io.equilibria.image.NoiseEstimate;

/**
 * The σ a {@link Denoiser} is given when the user names none: the robust MAD estimate of the finest diagonal
 * wavelet detail ({@link NoiseEstimate}), per sample, in the image's own (normalised) units. For Poisson–Gaussian
 * data this is a typical σ over the image, the same "equivalent σ" the denoisers are trained with.
 */
public final class NoiseLevel {
    /** Estimates below this are reported as this value: a noise-free image still gets a (tiny) positive level. */
    public static final double FLOOR = 1e-4;

    private NoiseLevel() {}

    /** σ of one plane, at least {@link #FLOOR}. */
    public static double estimate(Plane p) {
        double s = NoiseEstimate.sigma(p);
        return Double.isFinite(s) ? Math.max(FLOOR, s) : FLOOR;
    }

    /**
     * The σ the learned models expect for Poisson–Gaussian data: √(b + a·I₀/4) from the fitted σ²(I) = a·I + b, I₀ the
     * image's 99.8th percentile
     * ({@link NoiseEstimate#poissonGaussian}), the same "σ of the signal-dependent noise at intensity ¼ plus the
     * Gaussian part" the DEQ models were trained with; equal to the plain estimate for Gaussian noise. A plain MAD
     * estimate is dominated by the dark background of sparse fluorescence and would hand the model a σ several
     * times too small.
     */
    public static double effective(Plane p) {
        return effective(p, NoiseEstimate.poissonGaussian(p));
    }

    /** {@link #effective(Plane)} from a Poisson–Gaussian fit {a, b} of {@code p} already made. */
    public static double effective(Plane p, double[] ab) {
        // "intensity ¼" is a quarter of the image's own scale (its 99.8th percentile, 1 for normalised data), so the
        // level is in proportion to the data whatever their units
        double ref = io.equilibria.image.Stats.percentile(new float[][] {p.data()}, 99.8);
        if (!(ref > 0) || !Double.isFinite(ref)) ref = 1;
        double s = Math.sqrt(ab[1] + ab[0] * ref / 4);
        return Double.isFinite(s) ? Math.max(FLOOR, s) : FLOOR;
    }

    /**
     * A volume's level: the median of its planes' {@link #effective} levels (planes far from focus are smooth, not
     * noiseless). What a learned method is given for a z-stack, and what 3D training gives the model.
     */
    public static double volume(java.util.List<Plane> planes) {
        double[] s = new double[planes.size()];
        for (int z = 0; z < s.length; z++) s[z] = effective(planes.get(z));
        return median(s);
    }

    /** The median of per-plane levels (the mean of the middle two for an even count), as {@link #volume} takes it. */
    public static double median(double[] levels) {
        double[] s = levels.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    /** The user's σ if given (finite, ≥ 0), else the estimate. */
    public static double resolve(Double userSigma, Plane p) {
        if (userSigma != null) {
            if (!(userSigma >= 0) || !Double.isFinite(userSigma)) throw new IllegalArgumentException("noise sigma must be >= 0, got " + userSigma);
            return userSigma;
        }
        return estimate(p);
    }

    /** Per-sample estimates for a batch (N, 1, H, W) (or (N, H, W)), as an (N) float32 array on x's manager. */
    public static NDArray estimate(NDArray x) {
        Shape s = x.getShape();
        int d = s.dimension();
        if (d < 2) throw new IllegalArgumentException("need at least a 2-D image, got " + s);
        int h = (int) s.get(d - 2), w = (int) s.get(d - 1);
        int n = (int) (s.size() / ((long) h * w));
        float[] all;
        if (x.getDataType() == DataType.FLOAT32) all = x.toFloatArray();
        else try (NDArray f = x.toType(DataType.FLOAT32, true)) {
            all = f.toFloatArray();
        }
        float[] sigmas = new float[n];
        for (int i = 0; i < n; i++) {
            float[] plane = new float[h * w];
            System.arraycopy(all, i * h * w, plane, 0, h * w);
            sigmas[i] = (float) estimate(new Plane(w, h, plane));
        }
        NDManager m = x.getManager();
        return Tensors.owned(m.create(sigmas, new Shape(n)));
    }
}
