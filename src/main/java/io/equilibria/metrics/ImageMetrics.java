package io.equilibria.metrics;

import io.equilibria.image.Plane;

/**
 * PSNR and SSIM with a stated data range L. SSIM follows Wang et al. (2004): Gaussian window σ = 1.5 truncated
 * at 11×11, K1 = 0.01, K2 = 0.03, population (not sample) covariances; statistics are filtered with symmetric
 * ("reflect") boundaries and averaged over the interior, away from the 5-pixel border (as scikit-image does with
 * {@code gaussian_weights=True, use_sample_covariance=False}).
 */
public final class ImageMetrics {
    private ImageMetrics() {}

    /** L = max − min of the reference, the default data range when none is stated. */
    public static double dataRange(Plane reference) {
        return reference.max() - reference.min();
    }

    public static double mse(Plane a, Plane b) {
        requireSameSize(a, b);
        double s = 0;
        for (int i = 0; i < a.data().length; i++) {
            double d = a.data()[i] - b.data()[i];
            s += d * d;
        }
        return s / a.data().length;
    }

    public static double psnr(Plane reference, Plane test, double dataRange) {
        double mse = mse(reference, test);
        if (mse == 0) return Double.POSITIVE_INFINITY;
        return 10 * Math.log10(dataRange * dataRange / mse);
    }

    public static double ssim(Plane reference, Plane test, double dataRange) {
        requireSameSize(reference, test);
        int w = reference.width(), h = reference.height();
        if (w < 11 || h < 11) throw new IllegalArgumentException("SSIM needs images of at least 11x11");
        double[] x = toDouble(reference.data()), y = toDouble(test.data());
        double[] xx = new double[x.length], yy = new double[x.length], xy = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        double[] k = gaussianKernel(1.5, 5);
        double[] ux = blur(x, w, h, k), uy = blur(y, w, h, k);
        double[] uxx = blur(xx, w, h, k), uyy = blur(yy, w, h, k), uxy = blur(xy, w, h, k);
        double c1 = Math.pow(0.01 * dataRange, 2), c2 = Math.pow(0.03 * dataRange, 2);
        double sum = 0;
        int n = 0, pad = 5;
        for (int r = pad; r < h - pad; r++) {
            for (int c = pad; c < w - pad; c++) {
                int i = r * w + c;
                double vx = uxx[i] - ux[i] * ux[i], vy = uyy[i] - uy[i] * uy[i], cxy = uxy[i] - ux[i] * uy[i];
                double s = ((2 * ux[i] * uy[i] + c1) * (2 * cxy + c2))
                        / ((ux[i] * ux[i] + uy[i] * uy[i] + c1) * (vx + vy + c2));
                sum += s;
                n++;
            }
        }
        return sum / n;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static double[] gaussianKernel(double sigma, int radius) {
        double[] k = new double[2 * radius + 1];
        double s = 0;
        for (int i = -radius; i <= radius; i++) {
            k[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
            s += k[i + radius];
        }
        for (int i = 0; i < k.length; i++) k[i] /= s;
        return k;
    }

    /** Separable filter with half-sample symmetric boundaries (scipy.ndimage mode 'reflect'). */
    static double[] blur(double[] v, int w, int h, double[] k) {
        int r = k.length / 2;
        double[] tmp = new double[v.length], out = new double[v.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int j = -r; j <= r; j++) s += k[j + r] * v[y * w + reflect(x + j, w)];
                tmp[y * w + x] = s;
            }
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int j = -r; j <= r; j++) s += k[j + r] * tmp[reflect(y + j, h) * w + x];
                out[y * w + x] = s;
            }
        }
        return out;
    }

    static int reflect(int i, int n) {
        int period = 2 * n;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - 1 - m;
    }

    private static void requireSameSize(Plane a, Plane b) {
        if (a.width() != b.width() || a.height() != b.height()) {
            throw new IllegalArgumentException("images differ in size: " + a.width() + "x" + a.height() + " vs "
                    + b.width() + "x" + b.height());
        }
    }
}
