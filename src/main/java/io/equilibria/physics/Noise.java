package io.equilibria.physics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded noise models on data scaled so that the clean signal's peak is 1: Gaussian (sigma), Poisson (a peak of
 * {@code photons} expected photons) and Poisson–Gaussian (both). Generated in Java from one seed, so the same
 * seed gives the same noise on every device.
 */
public record Noise(double sigma, double photons, long seed) {
    public Noise {
        if (sigma < 0 || !Double.isFinite(sigma)) throw new IllegalArgumentException("noise sigma must be >= 0");
        if (photons < 0 || !Double.isFinite(photons)) throw new IllegalArgumentException("photons must be >= 0");
    }

    /**
     * The smallest noise σ that defaults (regularisation weights, the prior's noise level) are computed for: noise-free
     * or nearly noise-free data still get a finite, positive weight.
     */
    public static final double SIGMA_FLOOR = 1e-3;

    /** {@code sigma}, at least {@link #SIGMA_FLOOR}. */
    public static double floored(double sigma) {
        return Math.max(sigma, SIGMA_FLOOR);
    }

    public static Noise none() { return new Noise(0, 0, 0); }

    public boolean isNone() { return sigma == 0 && photons == 0; }

    public String kind() {
        if (isNone()) return "none";
        if (photons > 0 && sigma > 0) return "poisson-gaussian";
        return photons > 0 ? "poisson" : "gaussian";
    }

    /** Returns a noisy copy of {@code clean} (peak-normalised units). Negative clean values count as 0 photons. */
    public float[] apply(float[] clean) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[clean.length];
        for (int i = 0; i < clean.length; i++) {
            double v = clean[i];
            if (photons > 0) v = poisson(r, Math.max(0, v) * photons) / photons;
            if (sigma > 0) v += sigma * gaussian(r);
            out[i] = (float) v;
        }
        return out;
    }

    public Map<String, Object> spec() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind());
        m.put("sigma", sigma);
        m.put("photons", photons);
        m.put("seed", seed);
        m.put("units", "sigma relative to the clean signal's peak; photons at the peak");
        return m;
    }

    /** One standard normal draw (Marsaglia polar method); public so other seeded simulators share the sampler. */
    public static double gaussian(SplittableRandom r) {
        double u, v, s;
        do {
            u = 2 * r.nextDouble() - 1;
            v = 2 * r.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }

    /** Exact Poisson sampling: multiplication method for small means, Hörmann's PTRS otherwise. */
    public static long poisson(SplittableRandom r, double lambda) {
        if (lambda <= 0) return 0;
        if (lambda < 10) {
            double l = Math.exp(-lambda), p = 1;
            long k = 0;
            do {
                k++;
                p *= r.nextDouble();
            } while (p > l);
            return k - 1;
        }
        double slam = Math.sqrt(lambda), loglam = Math.log(lambda);
        double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b, invalpha = 1.1239 + 1.1328 / (b - 3.4);
        double vr = 0.9277 - 3.6224 / (b - 2);
        while (true) {
            double u = r.nextDouble() - 0.5, v = r.nextDouble();
            double us = 0.5 - Math.abs(u);
            long k = (long) Math.floor((2 * a / us + b) * u + lambda + 0.43);
            if (us >= 0.07 && v <= vr) return k;
            if (k < 0 || (us < 0.013 && v > us)) continue;
            double lhs = Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b);
            double rhs = -lambda + k * loglam - logFactorial(k);
            if (lhs <= rhs) return k;
        }
    }

    static double logFactorial(long k) {
        if (k < 2) return 0;
        return org.apache.commons.math3.special.Gamma.logGamma(k + 1.0);
    }
}
