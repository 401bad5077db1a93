package io.equilibria.physics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Tensors;
import io.equilibria.errors.InputException;
import io.equilibria.image.Volume;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * 3D convolution of a (Z, Y, X) volume with a 3D PSF by real FFTs on tensors: the operator of a widefield or confocal
 * z-stack, where light from the planes above and below is what blurs a slice.
 *
 * <p>As {@link FftConvolution} in 2D, the unknown lives on a domain placed at the origin of an FFT grid and the
 * measured field of view is a window of the circular convolution; the grid is large enough (per {@link Boundary})
 * that nothing wraps, and the adjoint is the exact transpose. With {@link Boundary#EXTENDED} the unknown extends
 * past the stack by the PSF's reach in all three axes: a stack has few slices and a tall PSF, so the light that the
 * first and last slices receive from outside the stack must have somewhere to come from.
 */
public final class VolumeConvolution implements LinearOperator {
    private final NDManager manager;
    private final int[] field;    // measured (Z, Y, X)
    private final int[] domain;   // unknown (Z, Y, X)
    private final int[] grid;     // FFT grid (Z, Y, X)
    private final int[] offset;   // field of view inside the domain
    private final int[] psfSize;  // (Z, Y, X)
    private final Boundary boundary;
    private final NDArray otf;    // (gz, gy, gx/2+1) complex
    private final NDArray otfConj; // its conjugate, for the adjoint (kept: it would be a new spectrum every call)
    private final Volume psf;
    private final String psfName;

    private VolumeConvolution(NDManager manager, int[] field, int[] domain, int[] grid, int[] offset, Volume psf,
                              String psfName, Boundary boundary, NDArray otf) {
        this.manager = manager;
        this.field = field;
        this.domain = domain;
        this.grid = grid;
        this.offset = offset;
        this.psf = psf;
        this.psfSize = new int[] {psf.depth(), psf.height(), psf.width()};
        this.psfName = psfName;
        this.boundary = boundary;
        this.otf = otf;
        this.otfConj = otf.conj();
    }

    /**
     * The convolution of a {@code width × height × depth} field of view with {@code psf} (centred at
     * {@code (w/2, h/2, d/2)}, normalised here to unit sum so that blurring preserves flux).
     */
    public static VolumeConvolution create(NDManager parent, Volume psf, String psfName, int width, int height, int depth,
                                           Boundary boundary) {
        int[] field = {depth, height, width};
        int[] p = {psf.depth(), psf.height(), psf.width()};
        if (p[0] > depth || p[1] > height || p[2] > width) {
            throw new InputException("PSF " + psfName + " (" + psf.width() + "x" + psf.height() + "x" + psf.depth()
                    + ") is larger than the volume (" + width + "x" + height + "x" + depth
                    + "); crop the PSF to at most the volume's size (in z, keep the central " + depth + " slices)");
        }
        int[] dom = new int[3], grd = new int[3], off = new int[3];
        for (int a = 0; a < 3; a++) {
            int c = p[a] / 2;
            switch (boundary) {
                case PERIODIC -> { dom[a] = field[a]; grd[a] = field[a]; off[a] = 0; }
                case ZERO -> { dom[a] = field[a]; grd[a] = FftSizes.fastSize235(field[a] + p[a] - 1); off[a] = 0; }
                default -> { // EXTENDED: output i sees domain [i, i + p - 1]
                    off[a] = p[a] - 1 - c;
                    dom[a] = field[a] + p[a] - 1;
                    grd[a] = FftSizes.fastSize235(dom[a]);
                }
            }
        }
        double sum = psf.sum();
        if (!(sum > 0)) throw new InputException("PSF " + psfName + ": empty (all zeros)");
        NDManager m = parent.newSubManager();
        // the PSF's centre goes to the grid's origin, shifted by the field's offset so the output window starts at 0
        float[] kern = new float[grd[0] * grd[1] * grd[2]];
        for (int z = 0; z < p[0]; z++) {
            int gz = Math.floorMod(z - p[0] / 2 - off[0], grd[0]);
            for (int y = 0; y < p[1]; y++) {
                int gy = Math.floorMod(y - p[1] / 2 - off[1], grd[1]);
                for (int x = 0; x < p[2]; x++) {
                    int gx = Math.floorMod(x - p[2] / 2 - off[2], grd[2]);
                    kern[(gz * grd[1] + gy) * grd[2] + gx] += (float) (psf.get(x, y, z) / sum);
                }
            }
        }
        NDArray kernel = Tensors.owned(m.create(kern, new Shape(grd[0], grd[1], grd[2])));
        NDArray otf = forward(kernel, grd);
        kernel.close();
        return new VolumeConvolution(m, field, dom, grd, off, psf, psfName, boundary, otf);
    }

    /** The zero-padded spectrum of a (Z, Y, X) array on the grid: a real FFT along x, complex FFTs along y and z. */
    private static NDArray forward(NDArray v, int[] grid) {
        try (NDArray half = v.rfft(grid[2], 2)) {
            return half.fft2(new long[] {grid[0], grid[1]}, new long[] {0, 1});
        }
    }

    private NDArray inverse(NDArray spectrum) {
        try (NDArray half = spectrum.ifft2(new long[] {grid[0], grid[1]}, new long[] {0, 1})) {
            return half.irfft(grid[2], 2);
        }
    }

    @Override
    public Shape domainShape() { return new Shape(domain[0], domain[1], domain[2]); }

    @Override
    public Shape rangeShape() { return new Shape(field[0], field[1], field[2]); }

    @Override
    public NDArray apply(NDArray x) {
        FftConvolution.requireShape(x, domainShape(), "apply");
        try (NDArray spectrum = forward(x, grid); NDArray product = spectrum.mul(otf); NDArray full = inverse(product)) {
            return full.get(new NDIndex("0:" + field[0] + ", 0:" + field[1] + ", 0:" + field[2]));
        }
    }

    @Override
    public NDArray adjoint(NDArray y) {
        FftConvolution.requireShape(y, rangeShape(), "adjoint");
        try (NDArray spectrum = forward(y, grid); NDArray product = spectrum.mul(otfConj);
             NDArray full = inverse(product)) {
            return full.get(new NDIndex("0:" + domain[0] + ", 0:" + domain[1] + ", 0:" + domain[2]));
        }
    }

    @Override
    public NDArray toImage(NDArray x) {
        if (boundary != Boundary.EXTENDED) return x;
        return x.get(new NDIndex(offset[0] + ":" + (offset[0] + field[0]) + ", " + offset[1] + ":" + (offset[1] + field[1])
                + ", " + offset[2] + ":" + (offset[2] + field[2])));
    }

    /** The observation mirrored into the domain's unmeasured band (a neutral starting guess). */
    @Override
    public NDArray initialGuess(NDArray y) {
        if (boundary != Boundary.EXTENDED) return y.duplicate();
        float[] v = y.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        float[] out = new float[domain[0] * domain[1] * domain[2]];
        for (int z = 0; z < domain[0]; z++) {
            int sz = reflect(z - offset[0], field[0]);
            for (int yy = 0; yy < domain[1]; yy++) {
                int sy = reflect(yy - offset[1], field[1]);
                int src = (sz * field[1] + sy) * field[2], dst = (z * domain[1] + yy) * domain[2];
                for (int x = 0; x < domain[2]; x++) out[dst + x] = v[src + reflect(x - offset[2], field[2])];
            }
        }
        return Tensors.owned(y.getManager().create(out, domainShape())).toType(y.getDataType(), false);
    }

    /** Half-sample-free mirror (…2 1 | 0 1 2 … n−1 | n−2 …) folded as often as needed. */
    static int reflect(int i, int n) {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        int k = Math.floorMod(i, period);
        return k < n ? k : period - k;
    }

    /** The PSF as given (not normalised). */
    public Volume psf() { return psf; }

    public Boundary boundary() { return boundary; }

    /** (Z, Y, X) of the FFT grid, for memory estimates. */
    public int[] gridSize() { return grid.clone(); }

    /** The same PSF and boundary on a smaller field of view (an x/y tile), or null if it would not be smaller. */
    @Override
    public LinearOperator window(int h, int w) {
        if (h > field[1] || w > field[2] || (h == field[1] && w == field[2]) || h < psfSize[1] || w < psfSize[2]) return null;
        return create(manager, psf, psfName, w, h, field[0], boundary);
    }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("operator", "3d-convolution");
        s.put("psf", psfName);
        s.put("psfSize", psfSize[2] + "x" + psfSize[1] + "x" + psfSize[0]);
        s.put("boundary", boundary.toString());
        s.put("fieldOfView", field[2] + "x" + field[1] + "x" + field[0]);
        s.put("domain", domain[2] + "x" + domain[1] + "x" + domain[0]);
        s.put("fftGrid", grid[2] + "x" + grid[1] + "x" + grid[0]);
        return s;
    }

    @Override
    public void close() {
        manager.close();
    }
}
