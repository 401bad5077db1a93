package io.equilibria.reconstruct;

import io.equilibria.solvers.IterationListener;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.classical.Tikhonov;
import io.equilibria.reconstruct.classical.WienerRisk;
import io.equilibria.simulate.Simulator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The closed-form SURE of the gradient- and of the Laplacian-penalised Wiener picks, without ground truth, a weight whose reconstruction
 * (by CG on the extended-boundary operator) is within 0.5 dB of the best weight on a grid (1e-3…1e4, four per
 * decade) chosen with the ground truth, on a smooth and on a textured scene.
 */
class WienerRiskTest {
    @ParameterizedTest
    @CsvSource({"smooth, 0.01, GRADIENT", "textured, 0.02, GRADIENT", "smooth, 0.01, LAPLACIAN", "textured, 0.02, LAPLACIAN"})
    void sureChoosesANearOracleWeight(String kind, double sigma, Tikhonov.Regulariser penalty) {
        int n = 64;
        Plane truth = kind.equals("smooth") ? blobs(n) : TestSupport.scene(n, n);
        Psf psf = Psf.of(PsfGenerator.gaussian(2, 0), "g");
        ImageData y = Simulator.deblur(ImageData.of(truth, Calibration.none()), psf, new Noise(sigma, 0, 9), false,
                Boundary.EXTENDED, Device.cpu()).observations();
        NDManager m = TestSupport.manager();
        try (NDManager s = m.newSubManager(); FftConvolution a = FftConvolution.single(s, psf, n, n, Boundary.EXTENDED)) {
            NDArray obs = s.create(y.plane(0).data(), new ai.djl.ndarray.types.Shape(n, n));
            double[] best = new WienerRisk(obs, a.psf(), penalty).best(n * n * sigma * sigma);
            double chosen = psnr(a, obs, best[0], truth, penalty), oracle = Double.NEGATIVE_INFINITY, oracleLambda = 0;
            for (int k = 12; k <= 40; k++) {
                double l = Math.pow(10, -6 + k / 4.0), p = psnr(a, obs, l, truth, penalty);
                if (p > oracle) { oracle = p; oracleLambda = l; }
            }
            // the closed form on the even extension (what the DEQ's blend uses) scores like CG on the extended boundary
            NDArray closed = WienerRisk.deconvolve(obs, a.psf(), penalty, best[0]).maximum(0f);
            double closedPsnr = ImageMetrics.psnr(truth, new Plane(n, n, closed.toFloatArray()), 1);
            assertTrue(Math.abs(closedPsnr - chosen) < 0.5 || closedPsnr > chosen, "closed form " + closedPsnr + " dB vs CG " + chosen + " dB");
            System.out.printf(Locale.ROOT, "%s, " + penalty + ": closed form %.2f dB; ", kind, closedPsnr);
            System.out.printf(Locale.ROOT, "%s, " + penalty + ": SURE lambda %.3g -> %.2f dB; oracle lambda %.3g -> %.2f dB%n", kind, best[0], chosen, oracleLambda, oracle);
            assertTrue(chosen > oracle - 0.5, kind + ": SURE " + chosen + " dB vs oracle " + oracle + " dB");
        }
    }

    private static double psnr(FftConvolution a, NDArray y, double lambda, Plane truth, Tikhonov.Regulariser penalty) {
        Result r = new Tikhonov(lambda, 300, 1e-5, penalty).reconstruct(a, y, IterationListener.NONE);
        NDArray img = a.toImage(r.x().maximum(0f));
        Plane x = new Plane(truth.width(), truth.height(), img.toFloatArray());
        r.x().close();
        return ImageMetrics.psnr(truth, x, 1);
    }

    private static Plane blobs(int n) {
        float[] v = new float[n * n];
        for (int i = 0; i < v.length; i++) {
            double x = i % n, yy = i / n;
            v[i] = (float) (0.2 + 0.5 * Math.exp(-(Math.pow(x - 20, 2) + Math.pow(yy - 30, 2)) / 120)
                    + 0.3 * Math.exp(-(Math.pow(x - 45, 2) + Math.pow(yy - 40, 2)) / 60));
        }
        return new Plane(n, n, v);
    }
}
