package io.equilibria.train.data;

import io.equilibria.image.Plane;
import io.equilibria.physics.Noise;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A 16-bit scientific camera for peak-normalised images, so training pipelines see raw-like data: a clean
 * intensity {@code I} becomes {@code photons * max(I, 0)} expected photo-electrons (quantum efficiency folded into
 * {@code photons}), Poisson shot noise, Gaussian read noise of {@code readNoise} e⁻ rms, then
 * {@code ADU = round(gain * e + offset)} clipped to [0, 65535]. The offset is what real cameras add so that read
 * noise below zero is not clipped; {@link #normalise} removes it again.
 *
 * @param photons   expected photo-electrons at intensity 1 (the clean peak)
 * @param readNoise read noise, electrons rms
 * @param gain      ADU per electron
 * @param offset    camera baseline, ADU
 * @param seed      noise seed: same seed, same raw image
 */
public record CameraModel(double photons, double readNoise, double gain, double offset, long seed) {
    public static final int MAX_ADU = 65535;

    public CameraModel {
        if (!(photons > 0) || !Double.isFinite(photons)) throw new IllegalArgumentException("photons must be > 0");
        if (!(readNoise >= 0) || !Double.isFinite(readNoise)) throw new IllegalArgumentException("read noise must be >= 0");
        if (!(gain > 0) || !Double.isFinite(gain)) throw new IllegalArgumentException("gain must be > 0");
        if (!(offset >= 0 && offset <= MAX_ADU)) throw new IllegalArgumentException("offset must be in [0, 65535]");
    }

    /** sCMOS-like defaults: 1.5 e⁻ read noise, 2 ADU/e⁻, 100 ADU offset. */
    public static CameraModel of(double photons, long seed) {
        return new CameraModel(photons, 1.5, 2.0, 100, seed);
    }

    public CameraModel withSeed(long newSeed) {
        return new CameraModel(photons, readNoise, gain, offset, newSeed);
    }

    /** Raw camera frame in ADU (integer values stored as float). Negative clean values count as 0 photons. */
    public Plane raw(Plane clean) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] in = clean.data(), out = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            double e = Noise.poisson(r, photons * Math.max(0, in[i]));
            if (readNoise > 0) e += readNoise * Noise.gaussian(r);
            out[i] = (float) Math.min(MAX_ADU, Math.max(0, Math.rint(gain * e + offset)));
        }
        return new Plane(clean.width(), clean.height(), out);
    }

    /** Inverse intensity map, raw ADU to peak-normalised units: {@code (raw - offset) / (gain * photons)}.
     *  Unbiased wherever the raw data were not clipped. */
    public Plane normalise(Plane raw) {
        float[] in = raw.data(), out = new float[in.length];
        double scale = 1 / (gain * photons);
        for (int i = 0; i < in.length; i++) out[i] = (float) ((in[i] - offset) * scale);
        return new Plane(raw.width(), raw.height(), out);
    }

    /** Noisy image in normalised units: {@code normalise(raw(clean))}. */
    public Plane simulate(Plane clean) {
        return normalise(raw(clean));
    }

    /**
     * Standard deviation, in normalised units, of the Gaussian that matches this camera's noise at clean
     * intensity {@code intensity}: shot noise, read noise and the 1/12 ADU² of rounding,
     * {@code sqrt(photons I + readNoise² + 1/(12 gain²)) / photons}. Used as a noise-level input for networks.
     */
    public double sigma(double intensity) {
        double var = photons * Math.max(0, intensity) + readNoise * readNoise + 1 / (12 * gain * gain);
        return Math.sqrt(var) / photons;
    }

    /** Intensity at which the camera saturates (65535 ADU) in normalised units. */
    public double saturation() {
        return (MAX_ADU - offset) / (gain * photons);
    }

    public Map<String, Object> spec() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "camera");
        m.put("photons", photons);
        m.put("read-noise-e", readNoise);
        m.put("gain-adu-per-e", gain);
        m.put("offset-adu", offset);
        m.put("seed", seed);
        return m;
    }
}
