package io.equilibria.reconstruct;

import io.equilibria.solvers.IterationListener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.classical.RichardsonLucy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RL against an independent implementation by direct spatial convolution; flux; non-negativity; progress. */
class RichardsonLucyTest {
    /** Plain-Java RL with zero boundary: x ← x · corr(y / conv(x)) / corr(1), by direct sums. */
    static float[] referenceRl(Plane y, Plane psf, int iterations) {
        int w = y.width(), h = y.height(), pw = psf.width(), ph = psf.height(), cx = pw / 2, cy = ph / 2;
        double[] x = new double[w * h];
        double mean = 0;
        for (float v : y.data()) mean += Math.max(0, v);
        mean /= w * h;
        java.util.Arrays.fill(x, mean);
        double[] norm = new double[w * h];
        for (int i = 0; i < w * h; i++) {
            int px = i % w, py = i / w;
            for (int j = 0; j < ph; j++) for (int k = 0; k < pw; k++) {
                int ox = px + (k - cx), oy = py + (j - cy);
                if (ox >= 0 && oy >= 0 && ox < w && oy < h) norm[i] += psf.get(k, j);
            }
        }
        for (int it = 0; it < iterations; it++) {
            double[] ratio = new double[w * h];
            for (int i = 0; i < w * h; i++) {
                int px = i % w, py = i / w;
                double s = 0;
                for (int j = 0; j < ph; j++) for (int k = 0; k < pw; k++) {
                    int sx = px - (k - cx), sy = py - (j - cy);
                    if (sx >= 0 && sy >= 0 && sx < w && sy < h) s += psf.get(k, j) * x[sy * w + sx];
                }
                ratio[i] = Math.max(0, y.data()[i]) / Math.max(s, 1e-12);
            }
            double[] next = new double[w * h];
            for (int i = 0; i < w * h; i++) {
                int px = i % w, py = i / w;
                double s = 0;
                for (int j = 0; j < ph; j++) for (int k = 0; k < pw; k++) {
                    int ox = px + (k - cx), oy = py + (j - cy);
                    if (ox >= 0 && oy >= 0 && ox < w && oy < h) s += psf.get(k, j) * ratio[oy * w + ox];
                }
                next[i] = x[i] * s / norm[i];
            }
            x = next;
        }
        float[] out = new float[w * h];
        for (int i = 0; i < out.length; i++) out[i] = (float) x[i];
        return out;
    }

    @Test
    void matchesDirectConvolutionRl() {
        NDManager m = TestSupport.manager();
        Plane scene = TestSupport.scene(36, 30);
        Psf psf = Psf.of(PsfGenerator.gaussian(1.5, 9), "g");
        try (FftConvolution a = FftConvolution.single(m, psf, 36, 30, Boundary.ZERO); NDManager s = m.newSubManager()) {
            NDArray y = a.apply(Tensors.of(s, scene));
            Plane yp = Tensors.toPlane(y);
            Result r = new RichardsonLucy(15, 0).reconstruct(a, y, IterationListener.NONE);
            float[] expected = referenceRl(yp, psf.single(), 15);
            float[] got = Tensors.toPlane(r.x()).data();
            double max = 0, peak = 0;
            for (int i = 0; i < got.length; i++) {
                max = Math.max(max, Math.abs(got[i] - expected[i]));
                peak = Math.max(peak, Math.abs(expected[i]));
            }
            assertTrue(max < 1e-4 * peak, "RL differs from the direct implementation by " + max);
        }
    }

    @Test
    void preservesFluxStaysNonNegativeAndImproves() {
        NDManager m = TestSupport.manager();
        Plane scene = TestSupport.scene(64, 64);
        Psf psf = Psf.of(PsfGenerator.gaussian(2, 0), "g2");
        for (Boundary b : Boundary.values()) {
            try (FftConvolution a = FftConvolution.single(m, psf, 64, 64, b); NDManager s = m.newSubManager()) {
                NDArray x = Tensors.of(s, b == Boundary.EXTENDED ? a.extendToDomain(scene) : scene);
                Plane clean = Tensors.toPlane(a.apply(x));
                Plane noisy = new Plane(64, 64, new Noise(0.01, 0, 1).apply(clean.data()));
                NDArray y = Tensors.of(s, noisy);
                Result r = new RichardsonLucy(25, 0).reconstruct(a, y, IterationListener.NONE);
                NDArray weights = a.adjoint(y.onesLike());
                // Σ x·Aᵀ1 = Σ max(y, 0): RL's flux identity, after every iteration
                assertEquals(Tensors.sum(y.maximum(0)), Tensors.sum(r.x().mul(weights)), 1e-3 * Tensors.sum(y.maximum(0)), b.toString());
                assertTrue(Tensors.toPlane(r.x()).min() >= 0, "non-negative");
                Plane rec = Tensors.toPlane(a.toImage(r.x()));
                double before = ImageMetrics.psnr(scene, noisy, 1), after = ImageMetrics.psnr(scene, rec, 1);
                assertTrue(after > before + 1, b + ": RL " + after + " dB vs blurred " + before + " dB");
                assertEquals(25, r.iterations());
                assertEquals(25, r.trace().size());
            }
        }
    }

    @Test
    void listenerCanCancel() {
        NDManager m = TestSupport.manager();
        try (FftConvolution a = FftConvolution.single(m, Psf.of(PsfGenerator.gaussian(1, 0), "g"), 32, 32, Boundary.PERIODIC);
             NDManager s = m.newSubManager()) {
            NDArray y = Tensors.of(s, TestSupport.scene(32, 32));
            Result r = new RichardsonLucy(50, 0).reconstruct(a, y, (k, max, x, c) -> k < 3);
            assertTrue(r.cancelled());
            assertEquals(3, r.iterations());
        }
    }
}
