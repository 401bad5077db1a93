package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * A 2D denoiser made to see a volume: applied to every xy, xz and yz plane of a (N, 1, Z, Y, X) state and the three
 * results averaged (the "2.5D" prior of tri-planar deep priors). Each orientation alone leaves the other two axes
 * untouched, so noise and artefacts along z that no xy plane shows are seen by the xz and yz planes; the average of
 * three denoisers is again a denoiser with the same noise-level input. A 4D state (2D images) passes straight through.
 * Planes go to the inner denoiser in batches of at most {@link #CHUNK_PIXELS} pixels, so activations stay bounded
 * whatever the volume. Differentiable (reshapes, transposes, slices), so it can be trained end to end.
 */
public final class OrthogonalDenoiser implements Denoiser {
    /** Pixels per call of the inner denoiser (a 32-channel DnCNN keeps about 128 bytes per pixel per layer live). */
    static final long CHUNK_PIXELS = 1L << 20;

    private final Denoiser inner;

    public OrthogonalDenoiser(Denoiser inner) {
        if (inner.volumetric()) throw new IllegalArgumentException("a volumetric denoiser sees volumes itself: " + inner.describe());
        this.inner = inner;
    }

    public Denoiser inner() { return inner; }

    /**
     * {@code d} made to see states of any rank: 4D (images) go straight to {@code d}, 5D (volumes) through its three
     * orientations; a {@link Denoiser#volumetric} denoiser (a 3D CNN) is returned unchanged, as it sees a volume itself.
     * The DEQ map asks this for every denoiser it is built with, so training and inference share it.
     */
    public static Denoiser of(Denoiser d) {
        return d instanceof OrthogonalDenoiser || d.volumetric() ? d : new OrthogonalDenoiser(d);
    }

    @Override
    public NDArray denoise(NDArray x, NDArray sigma) {
        Shape s = x.getShape();
        if (s.dimension() != 5) return inner.denoise(x, sigma);
        NDArray v = x.squeeze(1); // (N, Z, Y, X)
        NDArray xy = planes(v, sigma);
        NDArray xz = planes(v.transpose(0, 2, 1, 3), sigma).transpose(0, 2, 1, 3);
        NDArray yz = planes(v.transpose(0, 3, 1, 2), sigma).transpose(0, 2, 3, 1);
        return xy.add(xz).add(yz).div(3f).expandDims(1);
    }

    /** Denoises the planes (B, C) of every (N, A, B, C) volume as a batch of N·A images; the result has v's shape. */
    private NDArray planes(NDArray v, NDArray sigma) {
        Shape s = v.getShape();
        long n = s.get(0), a = s.get(1), b = s.get(2), c = s.get(3);
        NDArray batch = v.reshape(n * a, 1, b, c);
        NDArray sig = sigma.reshape(n).repeat(0, a); // each problem's level for each of its planes
        long per = Math.max(1, CHUNK_PIXELS / (b * c));
        NDArray out;
        if (per >= n * a) {
            out = inner.denoise(batch, sig);
        } else {
            NDList parts = new NDList();
            for (long i = 0; i < n * a; i += per) {
                long j = Math.min(n * a, i + per);
                parts.add(inner.denoise(batch.get(i + ":" + j), sig.get(i + ":" + j)));
            }
            out = NDArrays.concat(parts, 0);
        }
        return out.reshape(n, a, b, c);
    }

    /** Per voxel of a volume: three planes' calls (an image costs what the inner denoiser costs). */
    @Override
    public double flopsPerPixel() { return 3 * inner.flopsPerPixel(); }

    @Override
    public String describe() { return inner.describe() + ", on volumes averaged over its xy, xz and yz planes"; }

    @Override
    public long parameterCount() { return inner.parameterCount(); }

    @Override
    public int tileAlignment() { return inner.tileAlignment(); }

    @Override
    public double residualLipschitz() { return inner.residualLipschitz(); }
}
