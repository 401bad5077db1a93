package io.equilibria.reconstruct.classical;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.image.Plane;

/**
 * Stein's unbiased risk estimate of the gradient- or Laplacian-penalised Wiener deconvolution's prediction error, in closed form
 * for every weight λ: on the observation's even (mirror) extension to 2H × 2W, which is periodic without jumps (as in
 * {@link Discrepancy}), the prediction is F·Y with F = |H|² / (|H|² + λP), P the Laplacian's symbol, so the residual
 * is (1 − F)Y and the divergence of the prediction with respect to the data is trace(F)/4 (the extension holds four
 * copies of every pixel). SURE(λ) = (‖(1 − F)Y‖²/4 − Σv + 2 v̄ trace(F)/4) / n for noise variances v (mean v̄)
 * over the n pixels. No solve per λ: a search over λ costs microseconds.
 */
public final class WienerRisk {
    private final double[] yy, hh, p, wt;
    private final int n, grid;

    /** For the observation {@code y} (H, W) and its PSF, with the gradient penalty. */
    public WienerRisk(NDArray y, Plane psf) {
        this(y, psf, Tikhonov.Regulariser.GRADIENT);
    }

    /** With the gradient (symbol P) or Laplacian (symbol P²) penalty of {@link Tikhonov}. */
    public WienerRisk(NDArray y, Plane psf, Tikhonov.Regulariser penalty) {
        if (penalty == Tikhonov.Regulariser.IDENTITY) throw new IllegalArgumentException("WienerRisk: gradient or Laplacian penalty");
        NDManager m = y.getManager();
        try (NDManager s = m.newSubManager()) {
            long h = y.getShape().get(y.getShape().dimension() - 2), w = y.getShape().get(y.getShape().dimension() - 1);
            NDArray img = Tensors.owned(s.create(y.toFloatArray(), new Shape(h, w)));
            int gh = (int) (2 * h), gw = (int) (2 * w), cols = gw / 2 + 1;
            float[] yf = evenExtension(img).rfft(gw, 1).fft(gh, 0).abs().square().toFloatArray();
            float[] hf = otf(s, psf, gh, gw).abs().square().toFloatArray();
            yy = new double[hf.length];
            hh = new double[hf.length];
            p = new double[hf.length];
            wt = new double[hf.length];
            for (int a = 0; a < gh; a++) {
                double sy = Math.sin(Math.PI * a / gh);
                for (int b = 0; b < cols; b++) {
                    double sx = Math.sin(Math.PI * b / gw);
                    int i = a * cols + b;
                    p[i] = symbol(sy, sx, penalty);
                    wt[i] = b == 0 || (gw % 2 == 0 && b == cols - 1) ? 1 : 2; // the real FFT stores half the columns
                    yy[i] = yf[i];
                    hh[i] = hf[i];
                }
            }
            n = (int) (h * w);
            grid = gh * gw;
        }
    }

    /**
     * The deconvolution whose risk this class estimates, at weight λ: F = conj(H) / (|H|² + λR) applied to y's even
     * extension by FFT and cut back to (H, W) (R = P or P²). Closed form, so it is the exact estimate SURE describes
     * (CG on the extended-boundary operator stalled at 300 iterations with the Laplacian penalty) and costs two FFTs
     * of 2H × 2W at any size.
     */
    public static NDArray deconvolve(NDArray y, Plane psf, Tikhonov.Regulariser penalty, double lambda) {
        if (penalty == Tikhonov.Regulariser.IDENTITY) throw new IllegalArgumentException("WienerRisk: gradient or Laplacian penalty");
        NDManager m = y.getManager();
        int h = (int) y.getShape().get(y.getShape().dimension() - 2), w = (int) y.getShape().get(y.getShape().dimension() - 1);
        try (NDManager s = m.newSubManager()) {
            NDArray img = y.reshape(h, w).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            img.attach(s);
            NDArray even = evenExtension(img);
            even.attach(s);
            int gh = 2 * h, gw = 2 * w, cols = gw / 2 + 1;
            NDArray otf = otf(s, psf, gh, gw);
            float[] hh = otf.abs().square().toFloatArray();
            float[] inv = new float[hh.length];
            for (int a = 0; a < gh; a++) {
                double sy = Math.sin(Math.PI * a / gh);
                for (int b = 0; b < cols; b++) {
                    int i = a * cols + b;
                    inv[i] = (float) (1 / (hh[i] + lambda * symbol(sy, Math.sin(Math.PI * b / gw), penalty) + 1e-30));
                }
            }
            NDArray filter = otf.conj().mul(Tensors.owned(s.create(inv, new Shape(gh, cols))));
            NDArray x = even.rfft(gw, 1).fft(gh, 0).mul(filter).ifft(gh, 0).irfft(gw, 1).get("0:" + h + ", 0:" + w)
                    .toType(y.getDataType(), false);
            x.attach(m);
            return x;
        }
    }

    /** The (2H, 2W) even (mirror) extension of an (H, W) image: periodic without jumps. */
    private static NDArray evenExtension(NDArray img) {
        NDArray top = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(img, img.flip(1)), 1);
        return ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(top, top.flip(0)), 0);
    }

    /** The PSF's transfer function on the gh × gw grid (centred at the origin; half the columns, real FFT). */
    private static NDArray otf(NDManager m, Plane psf, int gh, int gw) {
        float[] k = new float[gh * gw];
        int cy = psf.height() / 2, cx = psf.width() / 2;
        for (int r = 0; r < psf.height(); r++)
            for (int c = 0; c < psf.width(); c++) k[Math.floorMod(r - cy, gh) * gw + Math.floorMod(c - cx, gw)] += psf.data()[r * psf.width() + c];
        return Tensors.owned(m.create(k, new Shape(gh, gw))).rfft(gw, 1).fft(gh, 0);
    }

    /** The penalty's symbol at frequency (sin(πa/gh), sin(πb/gw)): P = 4 sy² + 4 sx² (gradient) or P² (Laplacian). */
    private static double symbol(double sy, double sx, Tikhonov.Regulariser penalty) {
        double pp = 4 * sy * sy + 4 * sx * sx;
        return penalty == Tikhonov.Regulariser.LAPLACIAN ? pp * pp : pp;
    }

    /** Pixels of the even extension, 4n. */
    public int extensionPixels() { return grid; }

    /** ‖(1 − F)Y‖² over the whole even extension, in pixel units (Parseval: the unnormalised FFT's sum over 4n). */
    public double residual(double lambda) {
        double res = 0;
        for (int i = 0; i < hh.length; i++) {
            double r = lambda * p[i] / (hh[i] + lambda * p[i] + 1e-30);
            res += wt[i] * r * r * yy[i];
        }
        return res / grid;
    }

    /** SURE per pixel at weight λ for noise variances summing to {@code totalVariance} over the n pixels. */
    public double risk(double lambda, double totalVariance) {
        double trace = 0;
        for (int i = 0; i < hh.length; i++) trace += wt[i] * hh[i] / (hh[i] + lambda * p[i] + 1e-30);
        double residual = residual(lambda) / 4; // one of the four copies
        double meanVariance = totalVariance / n;
        return (residual - totalVariance + 2 * meanVariance * trace / 4) / n;
    }

    /** The λ of least risk on a log grid of 8 points per decade in [1e-6, 1e4]; {λ, risk}. */
    public double[] best(double totalVariance) {
        double bestLambda = Double.NaN, bestRisk = Double.POSITIVE_INFINITY;
        for (int k = 0; k <= 80; k++) {
            double l = Math.pow(10, -6 + k / 8.0), r = risk(l, totalVariance);
            if (r < bestRisk) { bestRisk = r; bestLambda = l; }
        }
        return new double[] {bestLambda, bestRisk};
    }
}
