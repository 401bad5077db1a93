package io.equilibria.metrics;

import io.equilibria.image.NoiseEstimate;
import io.equilibria.image.Plane;
import io.equilibria.physics.Noise;
import io.equilibria.priors.NoiseLevel;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fitted σ²(I) = a·I + b recovers the simulated photon count and read noise. */
class PoissonGaussianEstimateTest {
    /** A smooth ramp 0.02..1 with bumps, so every intensity bin has flat areas. */
    private static Plane scene(int n) {
        float[] d = new float[n * n];
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) d[y * n + x] = (float) (0.02 + 0.98 * x / (n - 1.0));
        return new Plane(n, n, d);
    }

    private static Plane noisy(Plane clean, double photons, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] o = new float[clean.data().length];
        for (int i = 0; i < o.length; i++) {
            double v = clean.data()[i];
            if (photons > 0) v = Noise.poisson(r, v * photons) / photons;
            o[i] = (float) (v + sigma * Noise.gaussian(r));
        }
        return new Plane(clean.width(), clean.height(), o);
    }

    @Test
    void recoversPhotonsAndReadNoise() {
        Plane p = noisy(scene(256), 200, 0.01, 3);
        double[] ab = NoiseEstimate.poissonGaussian(p);
        assertEquals(1.0 / 200, ab[0], 0.15 / 200, "a = 1/photons");
        assertEquals(1e-4, ab[1], 1e-4, "b = read-noise variance (the intercept is the least determined: photon noise dominates)");
        assertEquals(Math.sqrt(1e-4 + 0.25 / 200), NoiseLevel.effective(p), 0.003);
    }

    @Test
    void gaussianNoiseGivesNoSignalDependence() {
        Plane p = noisy(scene(256), 0, 0.02, 4);
        double[] ab = NoiseEstimate.poissonGaussian(p);
        assertTrue(ab[0] < 2e-5, "a = " + ab[0]);
        assertEquals(0.02, NoiseLevel.effective(p), 0.002);
        assertEquals(NoiseEstimate.sigma(p), NoiseLevel.effective(p), 0.002);
    }
}
