package io.equilibria.image;

/**
 * An affine intensity map into the core's working range, with its exact inverse: {@code n = (v - low) / scale},
 * {@code v = n * scale + low}. Percentile normalisation follows CSBDeep (low/high percentiles, default 1 and 99.8)
 * so that camera offsets and hot pixels do not set the scale; the result comes back in the input's units.
 */
public record Normalization(String kind, double low, double scale) {
    public static Normalization identity() {
        return new Normalization("none", 0, 1);
    }

    /** Parses {@code none}, {@code minmax} or {@code percentile[:LOW,HIGH]} and fits it to the data. */
    public static Normalization fit(String spec, float[]... data) {
        String s = spec == null ? "percentile" : spec.trim();
        if (s.equals("none")) return identity();
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
        throw new IllegalArgumentException("unknown normalisation '" + spec + "' (none, minmax, percentile[:LO,HI])");
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
