package io.equilibria.train;

import io.equilibria.image.Plane;
import io.equilibria.physics.Noise;
import io.equilibria.train.data.CameraModel;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The noise a denoiser is trained on, per patch: with probability {@code 1 − cameraFraction} additive Gaussian
 * noise with σ uniform in [0, σmax]; otherwise a 16-bit camera ({@link CameraModel}: Poisson shot noise, 1.5 e⁻
 * read noise, 2 ADU/e⁻, offset 100) whose photon count is chosen so that the patch's root-mean-square noise is a
 * σ uniform in [σmin, σmax] — that RMS is the "equivalent σ" the network's noise map receives. Clean patches are
 * in [0, 1] (peak-normalised), so σ is in the same units.
 */
public record TrainingNoise(double sigmaMax, double cameraFraction, Distribution distribution) {
    /**
     * How σ is drawn in [0, σmax]: {@code UNIFORM}, or {@code LOW} — half the draws uniform, half σmax·u² (more weight
     * on the weak noise that a deconvolution prior mostly sees, without leaving out strong noise).
     */
    public enum Distribution {
        UNIFORM, LOW;

        double draw(double max, SplittableRandom r) {
            double u = r.nextDouble();
            return this == LOW && r.nextBoolean() ? max * u * u : max * u;
        }

        String text(double lo, double max) {
            return this == UNIFORM ? "uniform in [" + lo + ", " + max + "]"
                    : "in [" + lo + ", " + max + "]: half uniform, half lo + (max - lo) u^2 (u uniform)";
        }
    }

    public TrainingNoise(double sigmaMax, double cameraFraction) {
        this(sigmaMax, cameraFraction, Distribution.UNIFORM);
    }

    /** The weakest camera noise drawn (very high photon counts would saturate the 16-bit range). */
    static final double CAMERA_SIGMA_MIN = 0.005;
    static final double MAX_PHOTONS = 30_000; // 65535 ADU at 2 ADU/e⁻: saturation stays above intensity 1
    private static final double READ_NOISE = 1.5, GAIN = 2.0, OFFSET = 100;

    public TrainingNoise {
        if (!(sigmaMax > 0) || !Double.isFinite(sigmaMax)) throw new IllegalArgumentException("sigma-max must be > 0");
        if (!(cameraFraction >= 0 && cameraFraction <= 1)) throw new IllegalArgumentException("camera fraction must be in [0, 1]");
        if (distribution == null) distribution = Distribution.UNIFORM;
    }

    /** A noisy patch and the σ given to the network. */
    public record Noisy(Plane image, double sigma, boolean camera) {}

    public Noisy apply(Plane clean, SplittableRandom r) {
        if (r.nextDouble() < cameraFraction) return camera(clean, r);
        double sigma = distribution.draw(sigmaMax, r);
        float[] in = clean.data(), out = new float[in.length];
        for (int i = 0; i < in.length; i++) out[i] = (float) (in[i] + sigma * Noise.gaussian(r));
        return new Noisy(new Plane(clean.width(), clean.height(), out), sigma, false);
    }

    private Noisy camera(Plane clean, SplittableRandom r) {
        double lo = Math.min(CAMERA_SIGMA_MIN, sigmaMax / 2);
        double target = lo + distribution.draw(sigmaMax - lo, r);
        double mean = Math.max(0, clean.sum() / clean.data().length);
        double photons = Math.min(MAX_PHOTONS, photonsFor(target, mean));
        CameraModel cam = new CameraModel(photons, READ_NOISE, GAIN, OFFSET, r.nextLong());
        return new Noisy(cam.simulate(clean), rms(cam, clean), true);
    }

    /**
     * Photons P with RMS noise σ at mean intensity m: σ² = (P m + k) / P², k = read² + 1/(12 g²), so
     * P = (m + sqrt(m² + 4 σ² k)) / (2 σ²).
     */
    static double photonsFor(double sigma, double mean) {
        double k = READ_NOISE * READ_NOISE + 1 / (12 * GAIN * GAIN);
        return (mean + Math.sqrt(mean * mean + 4 * sigma * sigma * k)) / (2 * sigma * sigma);
    }

    /** Root-mean-square of the camera's per-pixel σ over the patch. */
    static double rms(CameraModel cam, Plane clean) {
        double s = 0;
        for (float v : clean.data()) {
            double sd = cam.sigma(v);
            s += sd * sd;
        }
        return Math.sqrt(s / clean.data().length);
    }

    public Map<String, Object> spec() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gaussian", "sigma " + distribution.text(0, sigmaMax) + ", probability " + (1 - cameraFraction));
        m.put("camera", "Poisson-Gaussian, RMS sigma " + distribution.text(Math.min(CAMERA_SIGMA_MIN, sigmaMax / 2), sigmaMax)
                + ", read noise " + READ_NOISE + " e-, gain " + GAIN + " ADU/e-, offset " + OFFSET
                + " ADU, photons <= " + MAX_PHOTONS + ", probability " + cameraFraction);
        m.put("noiseMap", "constant: the sigma (Gaussian) or the RMS sigma over the patch (camera)");
        return m;
    }
}
