package io.equilibria.physics;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.equilibria.image.Plane;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Convolution with one PSF (single image) or K PSFs (K frames of one scene, each frame one block) by real FFTs
 * on tensors, so the same code runs on CPU and GPU.
 *
 * <p>The unknown lives on an {@code He x We} domain placed at the origin of an {@code Ny x Nx} FFT grid; the
 * output is the window {@code [0,H) x [0,W)} of the circular convolution with the PSF shifted so that the window
 * starts at the measured field. Choosing the grid large enough (per {@link Boundary}) means nothing wraps; the
 * adjoint is the exact transpose (pad, correlate, crop).
 */
public final class FftConvolution implements LinearOperator {
    private final NDManager manager;
    private final int height, width;          // measured field of view
    private final int domainH, domainW;       // unknown
    private final int gridH, gridW;           // FFT grid
    private final int offY, offX;             // field of view inside the domain
    private final int frames;
    private final boolean stacked;            // range (K,H,W) rather than (H,W)
    private final Boundary boundary;
    private final NDArray otf;                // (K, gridH, gridW/2+1) complex
    private final int psfH, psfW;
    private final String psfName;
    private final List<Plane> psfs;           // one per frame, for parameter choices that need a PSF's spectrum

    private FftConvolution(NDManager manager, int height, int width, int domainH, int domainW, int gridH, int gridW,
                           int offY, int offX, boolean stacked, Boundary boundary, NDArray otf, List<Plane> psfs, int psfH,
                           int psfW, String psfName) {
        this.manager = manager;
        this.psfs = List.copyOf(psfs);
        this.height = height;
        this.width = width;
        this.domainH = domainH;
        this.domainW = domainW;
        this.gridH = gridH;
        this.gridW = gridW;
        this.offY = offY;
        this.offX = offX;
        this.frames = (int) otf.getShape().get(0);
        this.stacked = stacked;
        this.boundary = boundary;
        this.otf = otf;
        this.psfH = psfH;
        this.psfW = psfW;
        this.psfName = psfName;
    }

    /** Single-image convolution of a {@code width x height} field of view, range {@code (H, W)}. */
    public static FftConvolution single(NDManager parent, Psf psf, int width, int height, Boundary boundary) {
        return create(parent, List.of(psf.single()), psf.description(), height, width, boundary, false);
    }

    /** K-frame convolution with one PSF per frame, range {@code (K, H, W)}, K blocks. */
    public static FftConvolution multiFrame(NDManager parent, Psf psf, int width, int height, Boundary boundary) {
        return create(parent, psf.planes(), psf.description(), height, width, boundary, true);
    }

    private static FftConvolution create(NDManager parent, List<Plane> psfs, String name, int height, int width,
                                         Boundary boundary, boolean stacked) {
        Plane first = psfs.get(0);
        int ph = first.height(), pw = first.width();
        for (Plane p : psfs) {
            if (p.width() != pw || p.height() != ph) throw new IllegalArgumentException("PSF slices differ in size");
        }
        Psf.of(psfs, name).requireFits(width, height);
        int cy = ph / 2, cx = pw / 2;
        int dh, dw, gh, gw, oy, ox;
        switch (boundary) {
            case PERIODIC:
                dh = height; dw = width; gh = height; gw = width; oy = 0; ox = 0;
                break;
            case ZERO:
                dh = height; dw = width; oy = 0; ox = 0;
                gh = FftSizes.fastSize(height + ph - 1); gw = FftSizes.fastSize(width + pw - 1);
                break;
            default: // EXTENDED: output i sees domain rows [i, i + ph - 1]
                oy = ph - 1 - cy; ox = pw - 1 - cx;
                dh = height + ph - 1; dw = width + pw - 1;
                gh = FftSizes.fastSize(dh); gw = FftSizes.fastSize(dw);
        }
        NDManager m = parent.newSubManager();
        int k = psfs.size();
        float[] kern = new float[k * gh * gw];
        for (int f = 0; f < k; f++) {
            float[] d = psfs.get(f).data();
            for (int y = 0; y < ph; y++) {
                int gy = Math.floorMod(y - cy - oy, gh);
                for (int x = 0; x < pw; x++) {
                    int gx = Math.floorMod(x - cx - ox, gw);
                    kern[f * gh * gw + gy * gw + gx] += d[y * pw + x];
                }
            }
        }
        NDArray kernel = Tensors.owned(m.create(kern, new Shape(k, gh, gw)));
        NDArray otf = kernel.rfft(gw, 2).fft(gh, 1);
        kernel.close();
        return new FftConvolution(m, height, width, dh, dw, gh, gw, oy, ox, stacked, boundary, otf, psfs, ph, pw, name);
    }

    @Override
    public Shape domainShape() { return new Shape(domainH, domainW); }

    @Override
    public Shape rangeShape() { return stacked ? new Shape(frames, height, width) : new Shape(height, width); }

    @Override
    public NDArray apply(NDArray x) {
        requireShape(x, domainShape(), "apply");
        NDArray spectrum = x.rfft(gridW, 1).fft(gridH, 0);          // (gh, gw/2+1), zero-padded
        NDArray product = spectrum.expandDims(0).mul(otf);          // (K, gh, gw/2+1)
        NDArray full = product.ifft(gridH, 1).irfft(gridW, 2);      // (K, gh, gw)
        NDArray y = full.get(new NDIndex(":, 0:" + height + ", 0:" + width));
        return stacked ? y : y.squeeze(0);
    }

    @Override
    public NDArray adjoint(NDArray y) {
        requireShape(y, rangeShape(), "adjoint");
        NDArray y3 = stacked ? y : y.expandDims(0);
        NDArray spectrum = y3.rfft(gridW, 2).fft(gridH, 1);         // zero-padded at the window's origin
        NDArray product = spectrum.mul(otf.conj()).sum(new int[] {0});
        NDArray full = product.ifft(gridH, 0).irfft(gridW, 1);
        return full.get(new NDIndex("0:" + domainH + ", 0:" + domainW));
    }

    @Override
    public NDArray toImage(NDArray x) {
        if (offY == 0 && offX == 0 && domainH == height && domainW == width) return x;
        return x.get(new NDIndex(offY + ":" + (offY + height) + ", " + offX + ":" + (offX + width)));
    }

    /** Extends a field-of-view image to the domain by mirror padding (a neutral starting guess). */
    public Plane extendToDomain(Plane image) {
        return Planes.reflectPad(image, offY, domainH - height - offY, offX, domainW - width - offX);
    }

    /** The PSF of the first frame (unit sum, centred in its array). */
    public Plane psf() { return psfs.get(0); }

    /** The observation (the mean of the frames) mirrored into the domain's unmeasured band. */
    @Override
    public NDArray initialGuess(NDArray y) {
        NDArray img = stacked ? y.mean(new int[] {0}) : y;
        NDArray out = io.equilibria.compute.Tensors.of(y.getManager(), extendToDomain(io.equilibria.compute.Tensors.toPlane(img)))
                .toType(y.getDataType(), false);
        if (img != y) img.close();
        return out;
    }

    @Override
    public int blockCount() { return stacked ? frames : 1; }

    /** The mean over frames: 1/K. */
    @Override
    public double dataScale() { return stacked ? 1.0 / frames : 1; }

    @Override
    public LinearOperator restrict(int... blocks) {
        if (!stacked) return LinearOperator.super.restrict(blocks);
        NDManager m = manager.newSubManager();
        List<NDArray> parts = new ArrayList<>();
        List<Plane> kept = new ArrayList<>();
        for (int b : blocks) {
            parts.add(otf.get(b).expandDims(0));
            kept.add(psfs.get(b));
        }
        NDArray sub = NDArrays.concat(new ai.djl.ndarray.NDList(parts), 0);
        sub.attach(m);
        for (NDArray p : parts) p.close();
        return new FftConvolution(m, height, width, domainH, domainW, gridH, gridW, offY, offX, true, boundary, sub, kept,
                psfH, psfW, psfName + " frames " + java.util.Arrays.toString(blocks));
    }

    @Override
    public NDArray measurementsOf(NDArray y, int... blocks) {
        if (!stacked) return LinearOperator.super.measurementsOf(y, blocks);
        List<NDArray> parts = new ArrayList<>();
        for (int b : blocks) parts.add(y.get(b).expandDims(0));
        return NDArrays.concat(new ai.djl.ndarray.NDList(parts), 0);
    }

    /** The same PSFs and boundary on a {@code h × w} field of view (a crop of the data); null if it would not be smaller. */
    @Override
    public LinearOperator window(int h, int w) {
        if (h > height || w > width || (h == height && w == width) || h < psfH || w < psfW) return null;
        return create(manager, psfs, psfName, h, w, boundary, stacked);
    }

    public Boundary boundary() { return boundary; }
    public int frames() { return frames; }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("operator", stacked ? "multi-frame-convolution" : "convolution");
        s.put("psf", psfName);
        s.put("psfSize", psfW + "x" + psfH);
        s.put("frames", frames);
        s.put("boundary", boundary.toString());
        s.put("fieldOfView", width + "x" + height);
        s.put("domain", domainW + "x" + domainH);
        s.put("fftGrid", gridW + "x" + gridH);
        return s;
    }

    static void requireShape(NDArray a, Shape expected, String op) {
        if (!a.getShape().equals(expected)) {
            throw new IllegalArgumentException(op + ": expected shape " + expected + ", got " + a.getShape());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
