package io.equilibria.image;

import java.util.ArrayList;
import java.util.List;

/**
 * An affine intensity map into the core's working range, with its exact inverse: {@code n = (v - low) / scale},
 * {@code v = n * scale + low}; the result comes back in the input's units.
 *
 * <p><b>Default: {@code scale}.</b> Only a gain: {@code low} is a camera offset when one is known ({@code offset=N})
 * or found ({@code offset=auto}, see {@link #estimateOffset}), else 0, and {@code scale} is the 99.8th percentile of
 * {@code v - low}. Nothing is clipped and no real intensity is subtracted, so Richardson–Lucy's Poisson model and
 * every method's non-negativity act on the data's own intensities (RL is exactly scale-equivariant, so the
 * normalisation costs it nothing). {@code percentile[:LO,HI]} (CSBDeep's, subtracts the LO-th percentile) and
 * {@code minmax} stay available; they shift the zero of the data, which costs RL accuracy on scenes without a dark
 * background (bright-field, photographs).
 *
 * @param offsetSource how {@code low} was obtained, for reports: "none", "given", "estimated from the background",
 *                     or the percentile/minmax fit
 */
public record Normalization(String kind, double low, double scale, String offsetSource) {
    public static final String DEFAULT = "scale:offset=auto";
    private static final double SCALE_PERCENTILE = 99.8;

    public Normalization(String kind, double low, double scale) {
        this(kind, low, scale, low == 0 ? "none" : "fitted");
    }

    public static Normalization identity() {
        return new Normalization("none", 0, 1, "none");
    }

    /** As {@link #fit(String, int, float[][])} for float data (no offset is ever estimated). */
    public static Normalization fit(String spec, float[]... data) {
        return fit(spec, 32, data);
    }

    /**
     * Parses {@code scale[:offset=N|auto|none]}, {@code none}, {@code minmax} or {@code percentile[:LOW,HIGH]} and fits
     * it to the data; {@code bitDepth} (8, 16, 32) decides whether {@code offset=auto} may look for a camera offset.
     */
    public static Normalization fit(String spec, int bitDepth, float[]... data) {
        return fit(spec, bitDepth, false, data);
    }

    /**
     * As {@link #fit(String, int, float[][])}; {@code volume} says the planes are one z-stack, whose offset may be
     * found without a flat dark floor ({@link #estimateOffset(boolean, float[][])}).
     */
    public static Normalization fit(String spec, int bitDepth, boolean volume, float[]... data) {
        String s = spec == null ? DEFAULT : spec.trim();
        if (s.equals("none")) return identity();
        if (s.equals("scale") || s.startsWith("scale:")) {
            String off = "none";
            if (s.startsWith("scale:")) {
                String arg = s.substring(6).trim();
                if (!arg.startsWith("offset=")) throw new IllegalArgumentException("bad normalisation '" + spec + "' (scale:offset=N|auto|none)");
                off = arg.substring(7).trim();
            }
            double low;
            String source;
            switch (off) {
                case "none", "0" -> { low = 0; source = "none"; }
                case "auto" -> {
                    double o = bitDepth == 16 ? estimateOffset(volume, data) : Double.NaN;
                    low = Double.isNaN(o) ? 0 : o;
                    source = Double.isNaN(o) ? (bitDepth == 16 ? "none (no " + (volume ? "" : "flat ") + "dark background found)" : "none (" + bitDepth
                            + "-bit data: offsets are estimated only for 16-bit camera images)")
                            : volume ? "estimated from the stack's darkest runs (their level less what their shot noise shows to be signal)"
                            : "estimated from the background (its flat dark level less what that level's shot noise shows to be signal)";
                }
                default -> {
                    try {
                        low = Double.parseDouble(off);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad offset '" + off + "' (a number, auto or none)");
                    }
                    if (!Double.isFinite(low)) throw new IllegalArgumentException("offset must be finite, got " + off);
                    source = "given";
                }
            }
            double hi = Stats.percentile(data, SCALE_PERCENTILE) - low;
            if (!(hi > 0) || !Double.isFinite(hi)) hi = Math.max(Math.abs(Stats.percentile(data, 100) - low), 0);
            if (!(hi > 0)) hi = 1; // flat image
            return new Normalization("scale", low, hi, source);
        }
        if (s.equals("minmax")) return fromRange("minmax", Stats.percentile(data, 0), Stats.percentile(data, 100));
        if (s.startsWith("percentile")) {
            double lo = 1, hi = 99.8;
            if (s.contains(":")) {
                String[] parts = s.substring(s.indexOf(':') + 1).split(",");
                if (parts.length != 2) throw new IllegalArgumentException("bad normalisation '" + spec + "'");
                lo = Double.parseDouble(parts[0]);
                hi = Double.parseDouble(parts[1]);
            }
            if (!(lo >= 0 && hi <= 100 && lo < hi)) throw new IllegalArgumentException("bad percentiles in '" + spec + "'");
            return fromRange("percentile:" + lo + "," + hi, Stats.percentile(data, lo), Stats.percentile(data, hi));
        }
        throw new IllegalArgumentException("unknown normalisation '" + spec + "' (scale[:offset=N|auto|none], none, minmax, percentile[:LO,HI])");
    }

    /**
     * A camera offset (pedestal) from a flat dark background, or NaN when there is none. Each plane is cut into runs
     * of 64 pixels along its rows; the darkest 5 % of runs (by mean) are the background candidates. Their median mean
     * is the dark level if they are flat (median standard deviation within a run at most 5 % of the range above
     * them), dark (below a quarter of the 99.8th percentile) and wide (a fifth of all runs within three of those
     * standard deviations of it): an empty background, as in fluorescence. A dark object on a bright field
     * (bright-field, photographs) is too small a part of the image and keeps its zero.
     * <p>A dark level may still carry signal (the dim background of a phase image): its shot noise tells. With the
     * noise variance a·I + c fitted over the image (row-pair Haar details, {@link NoiseEstimate#poissonGaussian(float[],
     * float[])}), a dark level L of noise variance v holds a·(L − offset) = v − (read noise)² ≤ v, so the offset is at
     * least L − v/a; that lower bound is returned. It errs low by (read noise)²/a, a small pedestal left in the data
     * that costs little, where taking signal for pedestal (erring high) cut 2.5 dB off a phase image.
     */
    public static double estimateOffset(float[]... data) {
        return estimateOffset(false, data);
    }

    /**
     * As {@link #estimateOffset(float[][])}; for a z-stack ({@code volume}) the darkest runs need not be flat nor wide.
     * The out-of-focus light of a thick specimen lights the whole field of every plane, so a widefield stack of cells
     * has no flat floor (a 16-bit stack at offset 100 kept offset 0 and lost 0.3 dB), while the lower bound L − v/a
     * is exact up to (read noise)²/a whatever signal the dark runs carry. The flatness test guards 2D photographs and
     * phase images, not z-stacks.
     */
    public static double estimateOffset(boolean volume, float[]... data) {
        List<double[]> blocks = new ArrayList<>(); // {mean, std, plane, start}
        for (int pl = 0; pl < data.length; pl++) {
            float[] plane = data[pl];
            int n = plane.length;
            for (int start = 0; start + 64 <= n; start += 64) {
                double sum = 0, sq = 0;
                for (int i = start; i < start + 64; i++) { sum += plane[i]; sq += (double) plane[i] * plane[i]; }
                double m = sum / 64;
                blocks.add(new double[] {m, Math.sqrt(Math.max(0, sq / 64 - m * m)), pl, start});
            }
        }
        if (blocks.size() < 40) return Double.NaN;
        blocks.sort((a, b) -> Double.compare(a[0], b[0]));
        int k = Math.max(2, blocks.size() / 20);
        double[] means = new double[k], stds = new double[k];
        for (int i = 0; i < k; i++) { means[i] = blocks.get(i)[0]; stds[i] = blocks.get(i)[1]; }
        java.util.Arrays.sort(means);
        java.util.Arrays.sort(stds);
        double floor = means[k / 2], spread = stds[k / 2];
        double top = Stats.percentile(data, SCALE_PERCENTILE);
        if (!(floor > 0) || (!volume && !(top > 4 * floor))) return Double.NaN;
        if (!volume) {
            if (spread > 0.05 * (top - floor)) return Double.NaN;
            int atFloor = 0;
            for (double[] b : blocks) if (Math.abs(b[0] - floor) <= 3 * spread) atFloor++;
            if (atFloor < 0.2 * blocks.size()) return Double.NaN;
        }
        // the dark runs' noise variance and the image's shot-noise slope, from row pairs (x₂ᵢ − x₂ᵢ₊₁)/√2
        int pairs = 0;
        for (float[] plane : data) pairs += plane.length / 2;
        float[] pm = new float[pairs], pd = new float[pairs];
        int j = 0;
        for (float[] plane : data) {
            for (int i = 0; i + 1 < plane.length; i += 2, j++) {
                pm[j] = (plane[i] + plane[i + 1]) / 2f;
                pd[j] = (float) ((plane[i] - plane[i + 1]) / Math.sqrt(2));
            }
        }
        double slope = NoiseEstimate.poissonGaussian(pm, pd)[0];
        float[] dark = new float[k * 32];
        for (int i = 0; i < k; i++) {
            float[] plane = data[(int) blocks.get(i)[2]];
            int start = (int) blocks.get(i)[3];
            for (int q = 0; q < 32; q++) dark[i * 32 + q] = (float) Math.abs((plane[start + 2 * q] - plane[start + 2 * q + 1]) / Math.sqrt(2));
        }
        double sd = Stats.median(dark) / 0.6745;
        if (volume && !(slope > 0)) return Double.NaN; // no shot noise seen: the bound would be the floor itself
        double bound = slope > 0 ? floor - sd * sd / slope : floor;
        return Math.max(0, Math.min(floor, bound));
    }

    /**
     * This map followed by the gain that brings the data's 99.8th percentile to 1, the intensity scale a learned prior
     * was trained at (this map itself when it already does, as the default {@code scale} does). Fitted once to the
     * whole image, so every plane and tile of it sees the same scale.
     */
    public Normalization toUnitPercentile(float[]... data) {
        double p = (Stats.percentile(data, SCALE_PERCENTILE) - low) / scale;
        if (!(p > 0) || !Double.isFinite(p) || Math.abs(p - 1) < 1e-6) return this;
        return new Normalization(kind + ", then scaled to a unit 99.8th percentile for the learned prior", low, scale * p, offsetSource);
    }

    /** The default normalisation with a camera offset: a number, {@code auto} or {@code none}. */
    public static String scaleSpec(String offset) {
        String o = offset == null || offset.isBlank() ? "auto" : offset.trim().toLowerCase(java.util.Locale.ROOT);
        String spec = "scale:offset=" + o;
        fit(spec, new float[] {0f, 1f}); // fails early on a bad offset
        return spec;
    }

    /** One line for reports: the kind, and for {@code scale} the offset and where it came from. */
    public String describe() {
        if (kind.equals("scale")) {
            return "scale (offset " + (float) low + ": " + offsetSource + "; scale " + (float) scale + " = 99.8th percentile above the offset; no clipping)";
        }
        return toString();
    }

    private static Normalization fromRange(String kind, double lo, double hi) {
        double scale = hi - lo;
        if (!(scale > 0) || !Double.isFinite(scale)) scale = Math.abs(hi) > 0 ? Math.abs(hi) : 1; // flat image
        return new Normalization(kind, lo, scale);
    }

    public float[] forward(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) ((v[i] - low) / scale);
        return out;
    }

    public float[] inverse(float[] n) {
        float[] out = new float[n.length];
        for (int i = 0; i < n.length; i++) out[i] = (float) (n[i] * scale + low);
        return out;
    }

    /** Maps a standard deviation (no offset) into normalised units. */
    public double forwardSigma(double sigma) {
        return sigma / scale;
    }

    public Plane forward(Plane p) { return new Plane(p.width(), p.height(), forward(p.data())); }
    public Plane inverse(Plane p) { return new Plane(p.width(), p.height(), inverse(p.data())); }

    @Override
    public String toString() {
        return kind + " (low=" + (float) low + ", scale=" + (float) scale + ")";
    }
}
