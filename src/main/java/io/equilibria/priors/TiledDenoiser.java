package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Applies a convolutional denoiser tile by tile, each tile read with a halo of the network's receptive radius, so
 * the result equals the whole-image call (up to float rounding): a pixel at distance ≥ radius from a tile's cut
 * edge sees exactly the inputs it would see in the whole image. Why: activations of a 32-channel network on a large
 * image are tens of MB each, and on the CPU such buffers are mapped and unmapped by the allocator at every call,
 * which cost several times the arithmetic; tiles keep them small and reused. Also bounds peak memory. For
 * inference only (the tiles are cut and pasted outside any graph the caller needs).
 *
 * <p>Volumes (N, 1, Z, Y, X), for a {@link Denoiser#volumetric} denoiser, are cut in z, y and x alike into blocks
 * of about {@code volumeTile} voxels a side, each read with the halo in all three axes (bounded memory on large stacks).
 */
public final class TiledDenoiser implements Denoiser {
    /**
     * Default side of a volume's blocks. A block costs its halo: on 80×136×136 (kept whole at 96) the 8 × 16 3D DnCNN took
     * 2.6 s, in 64-voxel blocks 3.1 s (one thread, volume-run allocator settings); 64×512×512 is cut into 5 × 5 blocks
     * of about 103×103×64 voxels, 58 MB per 16-channel activation with the halo, instead of 1.1 GB whole.
     */
    public static final int VOLUME_TILE = 96;

    private final Denoiser inner;
    private final int radius, tile, volumeTile;

    /**
     * @param radius receptive radius in pixels (DnCNN: its depth, one pixel per 3×3 layer)
     * @param tile   side of the part of each tile that is kept
     */
    public TiledDenoiser(Denoiser inner, int radius, int tile) {
        this(inner, radius, tile, VOLUME_TILE);
    }

    /** @param volumeTile side of the kept part of each block of a volume (5D input) */
    public TiledDenoiser(Denoiser inner, int radius, int tile, int volumeTile) {
        if (radius < 0 || tile < 8 || volumeTile < 8) throw new IllegalArgumentException("need radius >= 0 and tiles >= 8");
        this.inner = inner;
        this.radius = radius;
        this.tile = tile;
        this.volumeTile = volumeTile;
    }

    @Override
    public NDArray denoise(NDArray x, NDArray sigma) {
        Shape s = x.getShape();
        if (s.dimension() == 5) return denoiseVolume(x, sigma);
        long h = s.get(2), w = s.get(3);
        long th = side(h, tile), tw = side(w, tile);
        if (th >= h && tw >= w) return inner.denoise(x, sigma);
        NDList rows = new NDList();
        for (long y0 = 0; y0 < h; y0 += th) {
            long y1 = Math.min(h, y0 + th);
            long ry0 = Math.max(0, y0 - radius), ry1 = Math.min(h, y1 + radius);
            NDList cols = new NDList();
            for (long x0 = 0; x0 < w; x0 += tw) {
                long x1 = Math.min(w, x0 + tw);
                long rx0 = Math.max(0, x0 - radius), rx1 = Math.min(w, x1 + radius);
                NDArray in = x.get(new NDIndex(":, :, {}:{}, {}:{}", ry0, ry1, rx0, rx1));
                NDArray out = inner.denoise(in, sigma);
                cols.add(out.get(new NDIndex(":, :, {}:{}, {}:{}", y0 - ry0, y1 - ry0, x0 - rx0, x1 - rx0)));
                in.close();
                out.close();
            }
            rows.add(concat(cols, 3));
        }
        return concat(rows, 2);
    }

    /** A (N, 1, Z, Y, X) volume in blocks of about {@code volumeTile}³ kept voxels, each with the halo in every axis. */
    private NDArray denoiseVolume(NDArray x, NDArray sigma) {
        Shape s = x.getShape();
        long d = s.get(2), h = s.get(3), w = s.get(4);
        long tz = side(d, volumeTile), ty = side(h, volumeTile), tx = side(w, volumeTile);
        if (tz >= d && ty >= h && tx >= w) return inner.denoise(x, sigma);
        NDList slabs = new NDList();
        for (long z0 = 0; z0 < d; z0 += tz) {
            long z1 = Math.min(d, z0 + tz);
            long rz0 = Math.max(0, z0 - radius), rz1 = Math.min(d, z1 + radius);
            NDList rows = new NDList();
            for (long y0 = 0; y0 < h; y0 += ty) {
                long y1 = Math.min(h, y0 + ty);
                long ry0 = Math.max(0, y0 - radius), ry1 = Math.min(h, y1 + radius);
                NDList cols = new NDList();
                for (long x0 = 0; x0 < w; x0 += tx) {
                    long x1 = Math.min(w, x0 + tx);
                    long rx0 = Math.max(0, x0 - radius), rx1 = Math.min(w, x1 + radius);
                    NDArray in = x.get(new NDIndex(":, :, {}:{}, {}:{}, {}:{}", rz0, rz1, ry0, ry1, rx0, rx1));
                    NDArray out = inner.denoise(in, sigma);
                    cols.add(out.get(new NDIndex(":, :, {}:{}, {}:{}, {}:{}", z0 - rz0, z1 - rz0, y0 - ry0, y1 - ry0, x0 - rx0, x1 - rx0)));
                    in.close();
                    out.close();
                }
                rows.add(concat(cols, 4));
            }
            slabs.add(concat(rows, 3));
        }
        return concat(slabs, 2);
    }

    /** The parts joined along {@code axis} (the one part itself if there is one; the parts are closed otherwise). */
    private static NDArray concat(NDList parts, int axis) {
        if (parts.size() == 1) return parts.get(0);
        NDArray joined = NDArrays.concat(parts, axis);
        parts.close();
        return joined;
    }

    /**
     * The kept side of the tiles along an axis of length n: n split into round(n / tile) equal parts (at least one),
     * so tiles stay within [2/3, 2] x the nominal side and no thin remainder tile is cut. (Fixed 256 px tiles cut a
     * 286 px extended-boundary domain into four calls, one of them 30 px wide: a 256² DEQ deblur with a 31 px Airy
     * PSF took 23.3 s against 16.2 s untiled.) Rounded up to the denoiser's {@link Denoiser#tileAlignment}.
     */
    private long side(long n, int tile) {
        long parts = Math.max(1, Math.round(n / (double) tile)), a = inner.tileAlignment();
        long s = (n + parts - 1) / parts;
        return (s + a - 1) / a * a;
    }

    @Override
    public int tileAlignment() {
        return inner.tileAlignment();
    }

    @Override
    public double residualLipschitz() {
        return inner.residualLipschitz();
    }

    @Override
    public boolean volumetric() {
        return inner.volumetric();
    }

    @Override
    public String describe() {
        return inner.describe() + (inner.volumetric() ? " (applied in blocks of about " + volumeTile + " voxels a side" : " (applied in " + tile + " px tiles")
                + " with a " + radius + (inner.volumetric() ? " voxel halo)" : " px halo)");
    }

    @Override public long parameterCount() { return inner.parameterCount(); }

    /** Counts the halo's extra work at a large image's (or volume's) typical tile. */
    @Override
    public double flopsPerPixel() {
        if (inner.volumetric()) {
            double t = volumeTile + 2.0 * radius;
            return inner.flopsPerPixel() * t * t * t / ((double) volumeTile * volumeTile * volumeTile);
        }
        double t = tile + 2.0 * radius;
        return inner.flopsPerPixel() * t * t / ((double) tile * tile);
    }
}
