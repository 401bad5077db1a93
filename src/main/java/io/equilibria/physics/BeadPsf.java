package io.equilibria.physics;

import io.equilibria.errors.InputException;
import io.equilibria.errors.Setting;
import io.equilibria.image.Volume;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A measured 3D PSF from a z-stack of sub-resolution beads: the brightest isolated bead(s) (found after a light
 * Gaussian smoothing, which only locates them), a box cropped around each, its background (median of the box's
 * faces) subtracted, the bead centred with sub-voxel accuracy (thresholded centroid, applied by a Fourier shift so
 * the shape is not blurred as interpolation would, refined once), normalised by its flux; several beads are averaged,
 * which lowers the noise; the average is clipped at 0 and normalised to unit sum. Light of the widefield halo that
 * reaches the box's faces counts as background: the PSF is the bead's light within the box.
 */
public final class BeadPsf {
    /** A neighbour this bright (relative to the bead, above background) inside the box makes a bead unusable. */
    private static final double NEIGHBOUR = 0.25;
    /** Extra beads must be at least this bright relative to the brightest (dimmer spots are noise or debris). */
    private static final double SIMILAR = 0.3;
    /** The centroid uses voxels above this fraction of the peak, a level set that is symmetric for a symmetric PSF. */
    private static final double THRESHOLD = 0.1;

    /** The unit-sum PSF, the bead centres used (x, y, z voxels, sub-voxel) and a one-line account. */
    public record Result(Volume psf, List<double[]> beads, String description) {}

    private BeadPsf() {}

    /** Extracts a {@code w x h x d} PSF (odd sizes) from up to {@code maxBeads} isolated beads of {@code stack}. */
    public static Result extract(Volume stack, int w, int h, int d, int maxBeads) {
        if (w < 3 || h < 3 || d < 3 || w % 2 == 0 || h % 2 == 0 || d % 2 == 0) {
            throw new InputException(Setting.BEAD_BOX + " must be odd and at least 3 in x, y and z, got " + w + "x" + h + "x" + d);
        }
        if (maxBeads < 1) throw new InputException(Setting.BEADS + " must be >= 1, got " + maxBeads);
        if (stack.width() < w + 2 || stack.height() < h + 2 || stack.depth() < d + 2) {
            throw new InputException("the bead stack (" + stack.width() + "x" + stack.height() + "x" + stack.depth()
                    + ") is too small for a " + w + "x" + h + "x" + d + " PSF box (it needs one voxel more on each side); lower "
                    + Setting.BEAD_BOX);
        }
        for (float v : stack.data()) if (!Float.isFinite(v)) throw new InputException("the bead stack has NaN or infinite voxels");
        Volume s = smooth(stack, 1.0);
        double bg = median(s.data(), 1 << 20);
        double noise = 1.4826 * mad(s.data(), bg, 1 << 20);
        List<int[]> peaks = localMaxima(s, bg);
        if (peaks.isEmpty() || s.get(peaks.get(0)[0], peaks.get(0)[1], peaks.get(0)[2]) - bg < 10 * noise) {
            throw new InputException("no bead stands out from the background of the bead stack (need a spot at least 10x the noise)");
        }
        double brightest = s.get(peaks.get(0)[0], peaks.get(0)[1], peaks.get(0)[2]) - bg;
        List<double[]> used = new ArrayList<>();
        double[] acc = new double[w * h * d];
        int crowded = 0, edge = 0;
        for (int[] p : peaks) {
            if (used.size() == maxBeads) break;
            double a = s.get(p[0], p[1], p[2]) - bg;
            if (a < SIMILAR * brightest) break;
            if (!isolated(s, peaks, p, a, bg, w, h, d)) { crowded++; continue; }
            double[] centre = centroid(s, p[0], p[1], p[2], w, h, d);
            if (centre == null) { edge++; continue; }
            double[] crop = centredCrop(stack, centre, w, h, d);
            if (crop == null) { edge++; continue; }
            double sum = 0; // the unclipped sum estimates the bead's flux without the noise floor's bias
            for (double v : crop) sum += v;
            if (!(sum > 0)) continue; // nothing above the local background: not a bead
            for (int i = 0; i < acc.length; i++) acc[i] += crop[i] / sum;
            used.add(centre);
        }
        if (used.isEmpty()) {
            throw new InputException("no usable bead in the stack: " + crowded + " bright spot(s) have a neighbour inside the "
                    + w + "x" + h + "x" + d + " box, " + edge + " are too close to the edge; lower " + Setting.BEAD_BOX
                    + " or image sparser beads");
        }
        float[] out = new float[acc.length];
        double total = 0;
        for (int i = 0; i < acc.length; i++) total += acc[i] = Math.max(0, acc[i]); // clip once, after averaging
        for (int i = 0; i < out.length; i++) out[i] = (float) (acc[i] / total);
        StringBuilder where = new StringBuilder();
        for (double[] c : used) where.append(String.format(Locale.ROOT, " (%.2f, %.2f, %.2f)", c[0], c[1], c[2]));
        String desc = "bead PSF " + w + "x" + h + "x" + d + " from " + used.size() + " bead(s) at" + where
                + (crowded > 0 ? "; " + crowded + " crowded spot(s) skipped" : "");
        return new Result(new Volume(w, h, d, out), used, desc);
    }

    /** Local maxima (3x3x3) above the background, brightest first. */
    private static List<int[]> localMaxima(Volume s, double bg) {
        List<int[]> out = new ArrayList<>();
        for (int z = 0; z < s.depth(); z++) {
            for (int y = 0; y < s.height(); y++) {
                for (int x = 0; x < s.width(); x++) {
                    float v = s.get(x, y, z);
                    if (v <= bg) continue;
                    boolean max = true;
                    for (int dz = -1; dz <= 1 && max; dz++) {
                        for (int dy = -1; dy <= 1 && max; dy++) {
                            for (int dx = -1; dx <= 1 && max; dx++) {
                                int xx = x + dx, yy = y + dy, zz = z + dz;
                                if ((dx | dy | dz) == 0 || xx < 0 || yy < 0 || zz < 0 || xx >= s.width() || yy >= s.height()
                                        || zz >= s.depth()) continue;
                                if (s.get(xx, yy, zz) > v) max = false;
                            }
                        }
                    }
                    if (max) out.add(new int[] {x, y, z});
                }
            }
        }
        out.sort((a, b) -> Float.compare(s.get(b[0], b[1], b[2]), s.get(a[0], a[1], a[2])));
        return out;
    }

    /**
     * No other bright spot in the box. Maxima on the bead's own axis (within 2 voxels laterally) are its axial lobes,
     * which spherical aberration can make bright, not neighbours.
     */
    private static boolean isolated(Volume s, List<int[]> peaks, int[] p, double a, double bg, int w, int h, int d) {
        for (int[] q : peaks) {
            if (q == p) continue;
            int dx = Math.abs(q[0] - p[0]), dy = Math.abs(q[1] - p[1]), dz = Math.abs(q[2] - p[2]);
            if (dx > w / 2 || dy > h / 2 || dz > d / 2 || Math.hypot(dx, dy) <= 2) continue;
            if (s.get(q[0], q[1], q[2]) - bg >= NEIGHBOUR * a) return false;
        }
        return true;
    }

    /** Thresholded centroid of the (smoothed) data in the box around (x, y, z), minus the box's border median; null if the box leaves the stack. */
    private static double[] centroid(Volume v, int x, int y, int z, int w, int h, int d) {
        double[] box = crop(v, x - w / 2, y - h / 2, z - d / 2, w, h, d);
        if (box == null) return null;
        double[] c = centroid(box, w, h, d);
        return new double[] {x - w / 2 + c[0], y - h / 2 + c[1], z - d / 2 + c[2]};
    }

    static double[] centroid(double[] box, int w, int h, int d) {
        double b = borderMedian(box, w, h, d), peak = Double.NEGATIVE_INFINITY;
        for (double v : box) peak = Math.max(peak, v);
        double t = b + THRESHOLD * (peak - b), sw = 0, sx = 0, sy = 0, sz = 0;
        for (int z = 0, i = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++, i++) {
                    double wt = box[i] - t;
                    if (wt <= 0) continue;
                    sw += wt;
                    sx += wt * x;
                    sy += wt * y;
                    sz += wt * z;
                }
            }
        }
        return new double[] {sx / sw, sy / sw, sz / sw};
    }

    /**
     * The raw box around the nearest voxel to {@code centre}, background subtracted, shifted by Fourier so the centre
     * lands on the array centre, then checked once on the result (smoothed) and corrected; not clipped (noise
     * averages out across beads, its clipped floor would not). Null if the box leaves the stack.
     */
    private static double[] centredCrop(Volume stack, double[] centre, int w, int h, int d) {
        int x0 = (int) Math.round(centre[0]) - w / 2, y0 = (int) Math.round(centre[1]) - h / 2, z0 = (int) Math.round(centre[2]) - d / 2;
        double[] raw = crop(stack, x0, y0, z0, w, h, d);
        if (raw == null) return null;
        double b = borderMedian(raw, w, h, d);
        for (int i = 0; i < raw.length; i++) raw[i] -= b;
        double[] shift = {x0 + w / 2 - centre[0], y0 + h / 2 - centre[1], z0 + d / 2 - centre[2]};
        double[] out = shifted(raw, w, h, d, shift);
        double[] check = centroid(smooth(new Volume(w, h, d, toFloat(out)), 1.0).data(), w, h, d);
        shift[0] -= check[0] - w / 2;
        shift[1] -= check[1] - h / 2;
        shift[2] -= check[2] - d / 2;
        out = shifted(raw, w, h, d, shift);
        return shifted(raw, w, h, d, shift);
    }

    private static double[] centroid(float[] box, int w, int h, int d) {
        double[] b = new double[box.length];
        for (int i = 0; i < b.length; i++) b[i] = box[i];
        return centroid(b, w, h, d);
    }

    /** The box at (x0, y0, z0) as doubles, or null if it is not inside the volume. */
    private static double[] crop(Volume v, int x0, int y0, int z0, int w, int h, int d) {
        if (x0 < 0 || y0 < 0 || z0 < 0 || x0 + w > v.width() || y0 + h > v.height() || z0 + d > v.depth()) return null;
        double[] out = new double[w * h * d];
        for (int z = 0, i = 0; z < d; z++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) out[i++] = v.get(x0 + x, y0 + y, z0 + z);
        return out;
    }

    /** Median of the voxels on the six faces of the box: the local background, where the bead has faded. */
    static double borderMedian(double[] box, int w, int h, int d) {
        double[] b = new double[box.length];
        int n = 0;
        for (int z = 0, i = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++, i++) {
                    if (x == 0 || y == 0 || z == 0 || x == w - 1 || y == h - 1 || z == d - 1) b[n++] = box[i];
                }
            }
        }
        double[] face = Arrays.copyOf(b, n);
        Arrays.sort(face);
        return n % 2 == 1 ? face[n / 2] : 0.5 * (face[n / 2 - 1] + face[n / 2]);
    }

    /** Shifts a box by (sx, sy, sz) voxels, one axis at a time, by the phase ramp of its DFT (exact for band-limited data). */
    static double[] shifted(double[] box, int w, int h, int d, double[] s) {
        double[] out = box.clone();
        shiftAxis(out, w, 1, w, h * d, 1, 0, s[0]);
        shiftAxis(out, h, w, 1, w, d, w * h, s[1]);
        shiftAxis(out, d, w * h, 1, w * h, 1, 0, s[2]);
        return out;
    }

    /** Shifts the lines of length n (element stride {@code stride}) starting at o * outerStep + i * innerStep. */
    private static void shiftAxis(double[] v, int n, int stride, int innerStep, int inner, int outer, int outerStep, double shift) {
        int[] starts = new int[inner * outer];
        for (int o = 0, k = 0; o < outer; o++) for (int i = 0; i < inner; i++) starts[k++] = o * outerStep + i * innerStep;
        shiftLines(v, n, stride, starts, shift);
    }

    private static void shiftLines(double[] v, int n, int stride, int[] starts, double shift) {
        if (shift == 0) return;
        double[] cos = new double[n], sin = new double[n];
        for (int j = 0; j < n; j++) {
            cos[j] = Math.cos(2 * Math.PI * j / n);
            sin[j] = Math.sin(2 * Math.PI * j / n);
        }
        double[] re = new double[n], im = new double[n], line = new double[n];
        for (int start : starts) {
            for (int j = 0; j < n; j++) line[j] = v[start + j * stride];
            for (int k = 0; k < n; k++) {
                double r = 0, m = 0;
                for (int j = 0; j < n; j++) {
                    int t = (int) ((long) j * k % n);
                    r += line[j] * cos[t];
                    m -= line[j] * sin[t];
                }
                // delay by shift: multiply by exp(-2 pi i f shift / n), f the signed frequency
                int f = k <= n / 2 ? k : k - n;
                double ph = -2 * Math.PI * f * shift / n, c = Math.cos(ph), sn = Math.sin(ph);
                re[k] = r * c - m * sn;
                im[k] = r * sn + m * c;
            }
            for (int j = 0; j < n; j++) {
                double r = 0;
                for (int k = 0; k < n; k++) {
                    int t = (int) ((long) j * k % n);
                    r += re[k] * cos[t] - im[k] * sin[t];
                }
                v[start + j * stride] = r / n;
            }
        }
    }

    /** Separable Gaussian smoothing (edges replicated); only used to find beads and their centres. */
    static Volume smooth(Volume v, double sigma) {
        int r = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * r + 1];
        double ks = 0;
        for (int i = -r; i <= r; i++) ks += k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.length; i++) k[i] /= ks;
        int w = v.width(), h = v.height(), d = v.depth();
        float[] a = v.data().clone(), b = new float[a.length];
        int[][] dims = {{w, 1}, {h, w}, {d, w * h}};
        for (int[] axis : dims) {
            int n = axis[0], stride = axis[1];
            for (int i = 0; i < a.length; i++) {
                int pos = (i / stride) % n;
                double acc = 0;
                for (int j = -r; j <= r; j++) {
                    int q = Math.min(n - 1, Math.max(0, pos + j));
                    acc += k[j + r] * a[i + (q - pos) * stride];
                }
                b[i] = (float) acc;
            }
            float[] t = a;
            a = b;
            b = t;
        }
        return new Volume(w, h, d, a);
    }

    /** Median of at most {@code cap} evenly strided samples (large stacks need no exact median). */
    private static double median(float[] v, int cap) {
        int step = Math.max(1, v.length / cap);
        double[] s = new double[(v.length + step - 1) / step];
        for (int i = 0, j = 0; i < v.length; i += step) s[j++] = v[i];
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double mad(float[] v, double centre, int cap) {
        int step = Math.max(1, v.length / cap);
        double[] s = new double[(v.length + step - 1) / step];
        for (int i = 0, j = 0; i < v.length; i += step) s[j++] = Math.abs(v[i] - centre);
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) d[i];
        return f;
    }
}
