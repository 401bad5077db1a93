package io.equilibria.metrics;

import io.equilibria.errors.InputException;
import io.equilibria.image.ImageData;

/**
 * PSNR (dB) and SSIM of a result against its ground truth, the mean over planes (data range: each reference plane's
 * max − min, as `metrics`). One reference plane serves every plane.
 */
public record Scores(double psnr, double ssim) {
    public static Scores of(ImageData reference, ImageData result) {
        if (reference.width() != result.width() || reference.height() != result.height()) {
            throw new InputException("reference is " + reference.width() + "x" + reference.height() + " but the result is "
                    + result.width() + "x" + result.height());
        }
        if (reference.size() != 1 && reference.size() != result.size()) {
            throw new InputException("reference has " + reference.size() + " planes but the result has " + result.size());
        }
        double psnr = 0, ssim = 0;
        for (int i = 0; i < result.size(); i++) {
            var ref = reference.plane(reference.size() == 1 ? 0 : i);
            double range = ImageMetrics.dataRange(ref);
            psnr += ImageMetrics.psnr(ref, result.plane(i), range);
            ssim += ImageMetrics.ssim(ref, result.plane(i), range);
        }
        return new Scores(psnr / result.size(), ssim / result.size());
    }

    /**
     * The scores of a volume: PSNR over all voxels and SSIM the mean over planes, both with the data range of the whole
     * reference volume (per-plane ranges would score the nearly empty planes far from the specimen on their own noise).
     */
    public static Scores ofVolume(ImageData reference, ImageData result) {
        if (reference.width() != result.width() || reference.height() != result.height() || reference.size() != result.size()) {
            throw new InputException("reference is " + reference.width() + "x" + reference.height() + "x" + reference.size()
                    + " but the result is " + result.width() + "x" + result.height() + "x" + result.size());
        }
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (var p : reference.planes()) {
            lo = Math.min(lo, p.min());
            hi = Math.max(hi, p.max());
        }
        double range = hi - lo, se = 0, ssim = 0;
        long n = 0;
        for (int i = 0; i < result.size(); i++) {
            float[] r = reference.plane(i).data(), t = result.plane(i).data();
            for (int k = 0; k < r.length; k++) {
                double d = (double) r[k] - t[k];
                se += d * d;
            }
            n += r.length;
            ssim += ImageMetrics.ssim(reference.plane(i), result.plane(i), range);
        }
        return new Scores(10 * Math.log10(range * range / (se / n)), ssim / result.size());
    }
}
