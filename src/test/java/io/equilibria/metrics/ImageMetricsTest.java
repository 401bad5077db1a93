package io.equilibria.metrics;

import io.equilibria.image.NoiseEstimate;
import io.equilibria.image.Plane;
import io.equilibria.physics.Noise;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * SSIM and PSNR against values computed by scikit-image 0.19.3 ({@code structural_similarity(a, b,
 * gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=L)}, {@code peak_signal_noise_ratio})
 * on the analytic images below; noise-level estimation on known noise.
 */
class ImageMetricsTest {
    static Plane[] pair() {
        int h = 40, w = 48;
        float[] a = new float[w * h], b = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                a[y * w + x] = (float) (Math.sin(x / 5.0) + Math.cos(y / 7.0) + 0.1 * x / w);
                b[y * w + x] = (float) (a[y * w + x] + 0.2 * Math.sin(x * y / 50.0) + 0.05 * Math.cos(3 * x));
            }
        }
        return new Plane[] {new Plane(w, h, a), new Plane(w, h, b)};
    }

    @Test
    void matchesScikitImage() {
        Plane[] p = pair();
        double range = ImageMetrics.dataRange(p[0]);
        assertEquals(4.025957107543945, range, 1e-6);
        assertEquals(0.8093073014838809, ImageMetrics.ssim(p[0], p[1], range), 1e-5);
        assertEquals(28.994095214104128, ImageMetrics.psnr(p[0], p[1], range), 1e-4);
        assertEquals(1.0, ImageMetrics.ssim(p[0], p[0], range), 1e-12);
    }

    @Test
    void estimatesGaussianNoiseLevel() {
        float[] flat = new float[256 * 256];
        java.util.Arrays.fill(flat, 0.5f);
        Plane noisy = new Plane(256, 256, new Noise(0.05, 0, 3).apply(flat));
        assertEquals(0.05, NoiseEstimate.sigma(noisy), 0.003);
    }

    @Test
    void poissonNoiseHasPoissonStatistics() {
        float[] flat = new float[200_000];
        java.util.Arrays.fill(flat, 1f);
        for (double photons : new double[] {4, 60}) {
            float[] v = new Noise(0, photons, 11).apply(flat);
            double mean = 0, var = 0;
            for (float x : v) mean += x;
            mean /= v.length;
            for (float x : v) var += (x - mean) * (x - mean);
            var /= v.length;
            assertEquals(1.0, mean, 0.01);
            assertEquals(1.0 / photons, var, 0.03 / photons); // Poisson: variance = mean, in photon units
        }
        float[] a = new Noise(0.1, 10, 5).apply(flat), b = new Noise(0.1, 10, 5).apply(flat);
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, "seeded noise is reproducible");
    }
}
