package io.equilibria.image.registration;

import io.equilibria.compute.Compute;
import io.equilibria.image.Plane;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_video;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point2d;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_core.TermCriteria;

import java.util.ArrayList;
import java.util.List;

/**
 * Registration of one 2D frame to a reference with OpenCV (through Bytedeco): translation by phase correlation with a
 * sub-pixel peak ({@code phaseCorrelate}, Hanning-windowed), and Euclidean or affine maps by ECC ({@code
 * findTransformECC}, Evangelidis &amp; Psarakis 2008) coarse to fine on an image pyramid, started from the phase
 * correlation's shift so large drifts do not trap it. Both return the map from reference pixels to frame pixels
 * ({@link Transform2d}) with a confidence in [0, 1].
 */
public final class FrameRegistration {
    private FrameRegistration() {}

    /** ECC's stopping rule per pyramid level: at most this many iterations, or a change in the warp below EPS. */
    private static final int ECC_ITERATIONS = 200;
    private static final double ECC_EPS = 1e-7;

    /**
     * The shift of {@code frame} against {@code reference} by phase correlation: frame(p + t) ≈ reference(p). The
     * confidence is the normalised correlation peak (near 1 for a clean shift, near 0 for unrelated frames).
     */
    public static Transform2d phaseCorrelation(Plane reference, Plane frame) {
        requireSameSize(reference, frame);
        Compute.configure(); // the JavaCPP cache directory, before OpenCV's natives load
        try (Mat a = mat(reference); Mat b = mat(frame); Mat window = new Mat()) {
            opencv_imgproc.createHanningWindow(window, new Size(reference.width(), reference.height()), opencv_core.CV_32F);
            double[] response = new double[1];
            Point2d shift = opencv_imgproc.phaseCorrelate(a, b, window, response);
            return Transform2d.translation(shift.x(), shift.y()).withConfidence(Math.max(0, Math.min(1, response[0])));
        }
    }

    /**
     * The {@code motion} of {@code frame} against {@code reference} by ECC on a pyramid of {@code levels} halvings
     * (0: full resolution only), started from the phase-correlation shift. The confidence is ECC's correlation
     * coefficient at full resolution. Throws {@link RegistrationException} when ECC does not converge.
     */
    public static Transform2d ecc(Plane reference, Plane frame, Motion motion, int levels) {
        requireSameSize(reference, frame);
        if (levels < 0) throw new IllegalArgumentException("pyramid levels must be >= 0");
        // on its own copies: phaseCorrelate multiplies its inputs by the window in place when their size is already a
        // good DFT size, so handing it the pyramid's base Mats would register windowed images
        Transform2d start = phaseCorrelation(reference, frame);
        List<Mat> refs = pyramid(mat(reference), levels), frames = pyramid(mat(frame), levels);
        int top = refs.size() - 1;
        double scale = Math.pow(2, top);
        try (Mat warp = new Mat(2, 3, opencv_core.CV_32F)) {
            FloatIndexer w = warp.createIndexer();
            w.put(0, 0, 1f); w.put(0, 1, 0f); w.put(0, 2, (float) (start.tx() / scale));
            w.put(1, 0, 0f); w.put(1, 1, 1f); w.put(1, 2, (float) (start.ty() / scale));
            double rho = Double.NaN;
            for (int level = top; level >= 0; level--) {
                try (TermCriteria stop = new TermCriteria(TermCriteria.COUNT + TermCriteria.EPS, ECC_ITERATIONS, ECC_EPS);
                     Mat mask = new Mat()) {
                    rho = opencv_video.findTransformECC(refs.get(level), frames.get(level), warp, motion.opencv, stop, mask, 5);
                } catch (RuntimeException e) {
                    throw new RegistrationException("ECC (" + motion.name().toLowerCase(java.util.Locale.ROOT) + ") did not converge at pyramid level "
                            + level + ": " + e.getMessage(), e);
                }
                if (level > 0) { // to the next finer level: coordinates double, so does the shift
                    w.put(0, 2, w.get(0, 2) * 2);
                    w.put(1, 2, w.get(1, 2) * 2);
                }
            }
            Transform2d t = new Transform2d(w.get(0, 0), w.get(0, 1), w.get(0, 2), w.get(1, 0), w.get(1, 1), w.get(1, 2), motion,
                    Math.max(0, Math.min(1, rho)));
            w.release();
            return t;
        } finally {
            refs.forEach(Mat::close);
            frames.forEach(Mat::close);
        }
    }

    /** {@code frame} resampled onto the reference's grid through {@code t} (bicubic; outside the frame: its edge value). */
    public static Plane align(Plane frame, Transform2d t) {
        return warp(frame, t, opencv_imgproc.INTER_CUBIC);
    }

    /**
     * {@code plane} moved by (dx, dy): out(p) = plane(p − (dx, dy)), by Lanczos (8×8) interpolation, which keeps more of a
     * sharp estimate's fine detail than bicubic (outside the plane: its edge value).
     */
    public static Plane shift(Plane plane, double dx, double dy) {
        return warp(plane, Transform2d.translation(-dx, -dy), opencv_imgproc.INTER_LANCZOS4);
    }

    private static Plane warp(Plane frame, Transform2d t, int interpolation) {
        Compute.configure();
        try (Mat src = mat(frame); Mat dst = new Mat(); Mat m = new Mat(2, 3, opencv_core.CV_64F)) {
            org.bytedeco.javacpp.indexer.DoubleIndexer ix = m.createIndexer();
            ix.put(0, 0, t.a00()); ix.put(0, 1, t.a01()); ix.put(0, 2, t.tx());
            ix.put(1, 0, t.a10()); ix.put(1, 1, t.a11()); ix.put(1, 2, t.ty());
            ix.release();
            // dst(p) = src(T p): T maps reference pixels into the frame
            opencv_imgproc.warpAffine(src, dst, m, new Size(frame.width(), frame.height()),
                    interpolation | opencv_imgproc.WARP_INVERSE_MAP, opencv_core.BORDER_REPLICATE, new org.bytedeco.opencv.opencv_core.Scalar(0.0));
            return plane(dst);
        }
    }

    private static List<Mat> pyramid(Mat base, int levels) {
        List<Mat> p = new ArrayList<>();
        p.add(base);
        for (int i = 0; i < levels; i++) {
            Mat prev = p.get(p.size() - 1);
            if (prev.cols() < 64 || prev.rows() < 64) break; // ECC needs some pixels to work with
            Mat next = new Mat();
            opencv_imgproc.pyrDown(prev, next);
            p.add(next);
        }
        return p;
    }

    static Mat mat(Plane p) {
        Mat m = new Mat(p.height(), p.width(), opencv_core.CV_32FC1);
        FloatIndexer ix = m.createIndexer();
        float[] d = p.data();
        for (int y = 0; y < p.height(); y++) ix.put(y, 0, d, y * p.width(), p.width());
        ix.release();
        return m;
    }

    static Plane plane(Mat m) {
        int w = m.cols(), h = m.rows();
        float[] d = new float[w * h];
        FloatIndexer ix = m.createIndexer();
        for (int y = 0; y < h; y++) ix.get(y, 0, d, y * w, w);
        ix.release();
        return new Plane(w, h, d);
    }

    private static void requireSameSize(Plane a, Plane b) {
        if (a.width() != b.width() || a.height() != b.height()) {
            throw new IllegalArgumentException("frames differ in size: " + a.width() + "x" + a.height() + " and " + b.width() + "x" + b.height());
        }
    }
}
