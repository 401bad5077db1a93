package io.equilibria.reconstruct.classical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
        try (NDManager s = y.getManager().newSubManager()) {
            NDArray img = y.getShape().dimension() == 3 ? y.get(0) : y;
            if (img != y) img.attach(s);
            WienerRisk spectra = new WienerRisk(img, psf);
            double target = spectra.extensionPixels() * sigma * sigma; // the noise over the 2H x 2W extension
            double lo = Math.log(1e-6), hi = Math.log(10);
            if (spectra.residual(Math.exp(hi)) <= target) return 10;
            if (spectra.residual(Math.exp(lo)) >= target) return 1e-6;
            for (int it = 0; it < 40; it++) {
                double mid = 0.5 * (lo + hi);
                if (spectra.residual(Math.exp(mid)) > target) hi = mid;
                else lo = mid;
            }
            return Math.exp(lo);
        }
    }
}
