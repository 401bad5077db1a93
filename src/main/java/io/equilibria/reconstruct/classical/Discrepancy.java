package io.equilibria.reconstruct.classical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.image.Plane;

/**
 * Morozov's discrepancy principle for the weight λ of a gradient-penalised Wiener deconvolution: the largest λ whose
 * residual ‖A x_λ − y‖² does not exceed the noise, n σ². Evaluated in closed form in the Fourier domain of the
 * observation's even (mirror) extension to 2H × 2W, which is periodic without jumps, so a circular model holds:
 * the residual spectrum is (1 − F)Y with F = |H|² / (|H|² + λ P), P = 4 sin²(πk/N) + 4 sin²(πl/M) the Laplacian's
 * symbol. The residual grows with λ, so a bisection on log λ finds it. Unlike a fixed λ ∝ σ², it follows each
 * image's own spectrum: a smooth image, whose fine detail is all noise, gets a strong λ; a textured one a weak λ.
 * (Generalised cross-validation, tried first, had no interior minimum on such images.)
 */
public final class Discrepancy {
    private Discrepancy() {}

    /** λ in [1e-6, 10] (clamped) for the observation {@code y} (H, W) or (K, H, W: first frame), PSF and noise σ. */
    public static double lambda(NDArray y, Plane psf, double sigma) {
        NDManager m = y.getManager();
        try (NDManager s = m.newSubManager()) {
            NDArray img = s.create(y.getShape().dimension() == 3 ? y.get(0).toFloatArray() : y.toFloatArray(),
                    new Shape(y.getShape().get(y.getShape().dimension() - 2), y.getShape().get(y.getShape().dimension() - 1)));
            long h = img.getShape().get(0), w = img.getShape().get(1);
            NDArray top = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(img, img.flip(1)), 1);
            NDArray even = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(top, top.flip(0)), 0); // (2H, 2W)
            int gh = (int) (2 * h), gw = (int) (2 * w), cols = gw / 2 + 1;
            float[] yy = even.rfft(gw, 1).fft(gh, 0).abs().square().toFloatArray();
            float[] k = new float[gh * gw];
            for (int r = 0; r < psf.height() && r < gh; r++)
                for (int c = 0; c < psf.width() && c < gw; c++) k[r * gw + c] = psf.data()[r * psf.width() + c];
            float[] hh = s.create(k, new Shape(gh, gw)).rfft(gw, 1).fft(gh, 0).abs().square().toFloatArray();
            double[] p = new double[hh.length], wt = new double[hh.length];
            for (int a = 0; a < gh; a++) {
                double sy = Math.sin(Math.PI * a / gh);
                for (int b = 0; b < cols; b++) {
                    double sx = Math.sin(Math.PI * b / gw);
                    int i = a * cols + b;
                    p[i] = 4 * sy * sy + 4 * sx * sx;
                    wt[i] = b == 0 || (gw % 2 == 0 && b == cols - 1) ? 1 : 2; // the real FFT stores half the columns
                }
            }
            double target = (double) gh * gw * ((double) gh * gw) * sigma * sigma; // Parseval: N * sum of the noise²
            double lo = Math.log(1e-6), hi = Math.log(10);
            if (residual(Math.exp(hi), hh, p, wt, yy) <= target) return 10;
            if (residual(Math.exp(lo), hh, p, wt, yy) >= target) return 1e-6;
            for (int it = 0; it < 40; it++) {
                double mid = 0.5 * (lo + hi);
                if (residual(Math.exp(mid), hh, p, wt, yy) > target) hi = mid;
                else lo = mid;
            }
            return Math.exp(lo);
        }
    }

    private static double residual(double lambda, float[] hh, double[] p, double[] w, float[] yy) {
        double s = 0;
        for (int i = 0; i < hh.length; i++) {
            double reg = lambda * p[i];
            double r = reg / (hh[i] + reg + 1e-30);
            s += w[i] * r * r * yy[i];
        }
        return s;
    }
}
