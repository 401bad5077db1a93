package io.equilibria.priors;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;

/**
 * A Gaussian denoiser used as an image prior: {@code D(x, σ)} estimates the clean image from {@code x}, a batch
 * (N, 1, H, W) (or of volumes (N, 1, Z, Y, X) for a {@link #volumetric} one) in normalised intensity units (about [0, 1]), given the noise standard deviation σ of each sample
 * (shape (N), same units). Implementations must not change any state when called (no power-iteration updates, no
 * running statistics), so a fixed-point solve that calls them many times sees one fixed map; whether a graph is
 * recorded through the call is up to the caller's autograd mode.
 */
public interface Denoiser {
    NDArray denoise(NDArray x, NDArray sigma);

    /**
     * A quick call on a small zero image (a volume for a {@link #volumetric} denoiser): fails if loaded state (e.g.
     * power vectors) does not fit the network.
     */
    static void probe(Denoiser d, ai.djl.ndarray.NDManager m) {
        ai.djl.ndarray.types.Shape s = d.volumetric() ? new ai.djl.ndarray.types.Shape(1, 1, 8, 8, 8) : new ai.djl.ndarray.types.Shape(1, 1, 8, 8);
        try (ai.djl.ndarray.NDManager sub = m.newSubManager()) {
            d.denoise(sub.zeros(s), Tensors.owned(sub.create(new float[] {0.05f}))).close();
        }
    }

    /**
     * True for a denoiser of volumes: it takes (N, 1, Z, Y, X) and refuses images (N, 1, H, W). A 2D denoiser (the
     * default) sees a volume through {@link OrthogonalDenoiser}, which passes a volumetric one through unchanged.
     */
    default boolean volumetric() {
        return false;
    }

    /** One line for reports, e.g. {@code DnCNN depth 8, width 32, spectral bound 1.0 per conv}. */
    String describe();

    /** Number of learned scalars. */
    long parameterCount();

    /** Floating-point operations per output pixel of one {@link #denoise} call (multiply and add counted apart). */
    double flopsPerPixel();

    /**
     * Tile offsets that leave the result unchanged must be multiples of this (a U-Net's pooling factor 2^(L−1);
     * 1 for a plain convolutional network).
     */
    default int tileAlignment() {
        return 1;
    }

    /** A bound on the Lipschitz constant of the residual x ↦ x − D(x) (step-size safety); 2 unless known. */
    default double residualLipschitz() {
        return 2;
    }
}
