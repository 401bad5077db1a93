package io.equilibria.reconstruct.methods;

import io.equilibria.image.ImageData;
import io.equilibria.image.Plane;
import io.equilibria.image.registration.FrameRegistration;
import io.equilibria.image.registration.Motion;
import io.equilibria.image.registration.RegistrationSpec;
import io.equilibria.image.registration.StackRegistration;
import io.equilibria.image.registration.Transform2d;
import io.equilibria.physics.Psf;
import io.equilibria.reconstruct.report.RegistrationReport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Multi-frame deblurring of frames that moved: each frame is registered to the reference frame and resampled onto
 * its grid ({@link StackRegistration}), and each frame's PSF is turned the same way. Why the PSF turns: if the
 * specimen under frame k is the reference's moved by a rigid or affine map M, frame k is h_k * (x∘M), and the frame
 * resampled through the found map T = M⁻¹ is (h_k∘A) * x, where A is T's linear part: the frame's PSF sampled through
 * A about its centre. A pure shift leaves the PSF as it is.
 */
final class ViewRegistration {
    private ViewRegistration() {}

    /**
     * The frames on the reference's grid, their PSFs as seen there, and the report of the registration. A frame's band
     * that its moved field of view never covered holds the mean of the frames that did cover it (the reference always
     * does): resampling would only repeat the frame's edge there, which the deblurring would take for data.
     */
    record Aligned(ImageData frames, Psf psf, RegistrationReport report) {}

    static Aligned align(ImageData frames, Psf psf, RegistrationSpec spec) {
        long t0 = System.nanoTime();
        if (spec.referenceFrame() >= frames.size()) {
            throw new io.equilibria.errors.InputException("the reference frame " + (spec.referenceFrame() + 1) + " is not in the stack's 1.."
                    + frames.size());
        }
        StackRegistration r = StackRegistration.of(frames, spec.motion(), spec.referenceFrame(), spec.minConfidence());
        List<Plane> psfs = new ArrayList<>(psf.size());
        List<RegistrationReport.Frame> report = new ArrayList<>();
        for (int k = 0; k < frames.size(); k++) {
            Transform2d t = r.transforms().get(k);
            Plane h = psf.planes().get(k);
            psfs.add(k == spec.referenceFrame() || spec.motion() == Motion.TRANSLATION ? h : turned(h, t));
            report.add(new RegistrationReport.Frame(k + 1, t.tx(), t.ty(), t.degrees(), t.confidence(),
                    List.of(t.a00(), t.a01(), t.tx(), t.a10(), t.a11(), t.ty())));
        }
        String description = psf.description() + " (each frame's PSF turned as its frame was registered)";
        Psf turnedPsf = spec.motion() == Motion.TRANSLATION ? psf : Psf.of(psfs, description);
        return new Aligned(filled(r.aligned(), r.transforms()), turnedPsf, new RegistrationReport(spec.motion().name().toLowerCase(Locale.ROOT),
                spec.referenceFrame() + 1, report, (System.nanoTime() - t0) / 1e9));
    }

    /** Each frame's uncovered band filled with the mean of the frames that cover those pixels. */
    static ImageData filled(ImageData aligned, List<Transform2d> transforms) {
        int w = aligned.width(), h = aligned.height(), n = aligned.size();
        List<Plane> masks = new ArrayList<>(n);
        for (Transform2d t : transforms) masks.add(validRegion(t, w, h));
        float[] sum = new float[w * h], count = new float[w * h];
        for (int k = 0; k < n; k++) {
            float[] d = aligned.plane(k).data(), m = masks.get(k).data();
            for (int i = 0; i < d.length; i++) {
                sum[i] += m[i] * d[i];
                count[i] += m[i];
            }
        }
        List<Plane> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            float[] d = aligned.plane(k).data().clone(), m = masks.get(k).data();
            for (int i = 0; i < d.length; i++) if (m[i] == 0 && count[i] > 0) d[i] = sum[i] / count[i];
            out.add(new Plane(w, h, d));
        }
        return aligned.withPlanes(out);
    }

    /** 1 where T p falls inside the frame with the bicubic kernel's reach to spare, else 0. */
    static Plane validRegion(Transform2d t, int w, int h) {
        float[] m = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double[] q = t.apply(x, y);
                m[y * w + x] = q[0] >= 1 && q[0] <= w - 2 && q[1] >= 1 && q[1] <= h - 2 ? 1f : 0f;
            }
        }
        return new Plane(w, h, m);
    }

    /**
     * h(A d) for d measured from the PSF's centre (the pixel the convolution centres, size/2), resampled bicubically,
     * ringing below zero cut and the sum made 1 again.
     */
    static Plane turned(Plane h, Transform2d t) {
        double cx = h.width() / 2, cy = h.height() / 2;
        Transform2d linear = new Transform2d(t.a00(), t.a01(), cx - t.a00() * cx - t.a01() * cy,
                t.a10(), t.a11(), cy - t.a10() * cx - t.a11() * cy, t.motion(), t.confidence());
        float[] d = FrameRegistration.align(h, linear).data().clone();
        double sum = 0;
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 0) d[i] = 0;
            sum += d[i];
        }
        for (int i = 0; i < d.length; i++) d[i] = (float) (d[i] / sum);
        return new Plane(h.width(), h.height(), d);
    }
}
