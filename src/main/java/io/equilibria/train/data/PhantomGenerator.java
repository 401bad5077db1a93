package io.equilibria.train.data;

import io.equilibria.image.Plane;

import java.util.SplittableRandom;

/**
 * Synthetic 2-D fluorescence ground truths (before any PSF or camera): filaments, beads/vesicles, cells with
 * nuclei, on a smooth autofluorescence background with out-of-focus haze. Deterministic from the seed, any size;
 * the result is {@code >= 0} and scaled so its maximum is 1 (the peak-normalised units of
 * {@link io.equilibria.physics.Noise} and {@link CameraModel}).
 *
 * <p>Sizes are in pixels, not fractions of the image, so a 64 px and a 1024 px phantom look like crops of the
 * same specimen at the same magnification; counts scale with the area. Every structure's density, brightness and
 * size is drawn per image so that patches vary widely.
 */
public final class PhantomGenerator {
    /** Which structures to draw; {@link #MIXTURE} picks a random non-empty subset per image. */
    public enum Kind { FILAMENTS, BEADS, CELLS, MIXTURE }

    // Densities per 100 x 100 px; package-private so tests can state the expected ranges.
    static final double BEADS_MIN = 2, BEADS_MAX = 16;
    static final double FILAMENTS_MIN = 0.5, FILAMENTS_MAX = 5;
    static final double CELL_RADIUS_MIN = 14, CELL_RADIUS_MAX = 45;

    private final Kind kind;

    public PhantomGenerator() { this(Kind.MIXTURE); }

    public PhantomGenerator(Kind kind) {
        if (kind == null) throw new IllegalArgumentException("kind must not be null");
        this.kind = kind;
    }

    public Kind kind() { return kind; }

    public Plane generate(int size, long seed) { return generate(size, size, seed); }

    public Plane generate(int width, int height, long seed) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("phantom size must be positive");
        SplittableRandom r = new SplittableRandom(seed);
        // One independent stream per structure, split in a fixed order, so that which structures a mixture
        // contains does not change how each one looks.
        SplittableRandom rc = r.split(), rf = r.split(), rb = r.split(), rg = r.split();
        boolean cells = kind == Kind.CELLS, filaments = kind == Kind.FILAMENTS, beads = kind == Kind.BEADS;
        if (kind == Kind.MIXTURE) {
            do {
                cells = r.nextDouble() < 0.5;
                filaments = r.nextDouble() < 0.6;
                beads = r.nextDouble() < 0.6;
            } while (!(cells || filaments || beads));
        }
        // With cells present, filaments are usually a cytoskeleton: drawn apart, then kept inside the cells.
        boolean inside = cells && filaments && r.nextDouble() < 0.7;
        Canvas c = new Canvas(width, height);
        float[] cellMask = new float[width * height];
        if (cells) cells(c, cellMask, rc);
        if (inside) {
            Canvas f = new Canvas(width, height);
            filaments(f, rf, 3); // denser: most of each curve is masked away
            for (int i = 0; i < c.px.length; i++) c.px[i] += f.px[i] * cellMask[i];
        } else if (filaments) {
            filaments(c, rf, 1);
        }
        if (beads) beads(c, rb);
        background(c, rg);
        float max = 0;
        for (float v : c.px) max = Math.max(max, v);
        if (max > 0) for (int i = 0; i < c.px.length; i++) c.px[i] /= max;
        return new Plane(width, height, c.px);
    }

    // ---- structures -------------------------------------------------------------------------------------------

    /** Persistent random walks whose curvature is itself a smooth (Ornstein–Uhlenbeck) process: stiff, smooth
     *  microtubule/actin-like curves; sometimes radiating from one centre like a microtubule aster. */
    private static void filaments(Canvas c, SplittableRandom r, double densityFactor) {
        double area = c.w * (double) c.h / 1e4;
        int n = Math.max(1, (int) Math.round(densityFactor * area * uniform(r, FILAMENTS_MIN, FILAMENTS_MAX)));
        boolean aster = r.nextDouble() < 0.25;
        double ax = r.nextDouble() * c.w, ay = r.nextDouble() * c.h;
        double sigma = uniform(r, 0.5, 1.5); // one labelling / optics per image, slightly varied per filament
        for (int f = 0; f < n; f++) {
            double s = clamp(sigma * uniform(r, 0.8, 1.2), 0.5, 1.5);
            double x, y, theta = r.nextDouble() * 2 * Math.PI;
            if (aster) {
                x = ax + 3 * Fields.normal(r);
                y = ay + 3 * Fields.normal(r);
            } else { // start anywhere, including just outside, so filaments also cross the border
                x = uniform(r, -0.1, 1.1) * c.w;
                y = uniform(r, -0.1, 1.1) * c.h;
            }
            double length = uniform(r, 0.3, 1.5) * Math.max(Math.max(c.w, c.h), 128);
            double kappaSd = 1 / uniform(r, 25, 250), corr = uniform(r, 8, 40); // curvature radius, its memory
            double bright = uniform(r, 0.25, 1), mod = 0;
            double kappa = kappaSd * Fields.normal(r);
            double ds = Math.min(0.5, s / 2);
            double lineMass = Math.sqrt(2 * Math.PI) * s; // linear density giving a ridge peak of 1
            for (double t = 0; t < length; t += ds) {
                double a = ds / corr, k = Math.sqrt(2 * a);
                kappa += -a * kappa + k * kappaSd * Fields.normal(r);
                mod += -a * mod + k * 0.2 * Fields.normal(r); // labelling density drifts along the filament
                theta += kappa * ds;
                x += ds * Math.cos(theta);
                y += ds * Math.sin(theta);
                c.gaussian(x, y, s, bright * Math.max(0.3, 1 + mod) * lineMass * ds);
            }
        }
    }

    /** Sub-resolution beads (pixel-integrated Gaussians) and small vesicles (soft discs, radius up to 4 px). */
    private static void beads(Canvas c, SplittableRandom r) {
        double area = c.w * (double) c.h / 1e4;
        int n = Math.max(1, (int) Math.round(area * uniform(r, BEADS_MIN, BEADS_MAX)));
        double vesicles = r.nextDouble() * 0.5; // fraction of resolved discs among points
        for (int i = 0; i < n; i++) {
            double x = r.nextDouble() * c.w - 0.5, y = r.nextDouble() * c.h - 0.5;
            double peak = Math.exp(uniform(r, Math.log(0.15), 0)); // log-uniform: a few bright, many dim
            if (r.nextDouble() < vesicles) {
                c.disc(x, y, uniform(r, 1.5, 4), 0.5, peak * 0.6);
            } else {
                double s = uniform(r, 0.5, 1.5);
                c.gaussian(x, y, s, peak * 2 * Math.PI * s * s);
            }
        }
    }

    /** Star-shaped cells (polar radius with a few Fourier harmonics), dim textured cytoplasm, bright nucleus;
     *  {@code mask} receives the soft cell footprint. */
    private static void cells(Canvas c, float[] mask, SplittableRandom r) {
        double rMean = uniform(r, CELL_RADIUS_MIN, CELL_RADIUS_MAX);
        double coverage = uniform(r, 0.15, 0.6);
        int n = Math.max(1, (int) Math.round(coverage * c.w * c.h / (Math.PI * rMean * rMean)));
        float[] cytoTexture = Fields.fractal(c.w, c.h, uniform(r, 4, 10), 3, r);
        float[] chromatin = Fields.fractal(c.w, c.h, uniform(r, 1.5, 3), 2, r);
        double[] placed = new double[3 * n];
        for (int i = 0; i < n; i++) {
            double radius = Math.min(rMean * uniform(r, 0.7, 1.3), 0.45 * Math.max(c.w, c.h));
            // Cultured cells touch but rarely pile up: retry positions that overlap a placed cell too much.
            double x = 0, y = 0;
            for (int attempt = 0; attempt < 30; attempt++) {
                x = r.nextDouble() * c.w;
                y = r.nextDouble() * c.h;
                boolean free = true;
                for (int j = 0; j < i && free; j++)
                    free = Math.hypot(x - placed[3 * j], y - placed[3 * j + 1]) > 0.85 * (radius + placed[3 * j + 2]);
                if (free) break;
            }
            placed[3 * i] = x;
            placed[3 * i + 1] = y;
            placed[3 * i + 2] = radius;
            Star cell = Star.random(x, y, radius, 0.25, r);
            double cyto = uniform(r, 0.08, 0.3), edge = uniform(r, 1, 3);
            boolean hasNucleus = r.nextDouble() < 0.9;
            double nr = radius * uniform(r, 0.3, 0.5), off = (radius - nr) * 0.4 * r.nextDouble();
            double phi = r.nextDouble() * 2 * Math.PI;
            Star nuc = Star.random(x + off * Math.cos(phi), y + off * Math.sin(phi), nr, 0.12, r);
            double nucBright = uniform(r, 0.45, 1), nucEdge = uniform(r, 0.7, 1.5);
            int reach = (int) Math.ceil(cell.maxRadius() + 4 * edge);
            for (int py = Math.max(0, (int) y - reach); py <= Math.min(c.h - 1, (int) y + reach); py++) {
                for (int px = Math.max(0, (int) x - reach); px <= Math.min(c.w - 1, (int) x + reach); px++) {
                    int k = py * c.w + px;
                    double m = cell.mask(px, py, edge);
                    if (m < 1e-4) continue;
                    mask[k] = (float) Math.max(mask[k], m);
                    double v = m * cyto * (0.5 + cytoTexture[k]);
                    if (hasNucleus) v += nuc.mask(px, py, nucEdge) * (nucBright * (0.6 + 0.6 * chromatin[k]) - v);
                    c.px[k] += (float) Math.max(0, v);
                }
            }
        }
    }

    /** Out-of-focus haze (a wide blur of the in-focus structures) plus smooth autofluorescence. */
    private static void background(Canvas c, SplittableRandom r) {
        float[] haze = blur(c.px, c.w, c.h, uniform(r, 6, 20));
        float top = 0; // levels relative to the brightest structure, so a dim specimen is not drowned in haze
        for (float v : c.px) top = Math.max(top, v);
        if (top == 0) top = 1;
        double hazeLevel = uniform(r, 0.05, 0.3), offset = top * uniform(r, 0.005, 0.04), vary = top * uniform(r, 0, 0.05);
        float[] low = Fields.fractal(c.w, c.h, uniform(r, 0.3, 1) * Math.max(c.w, c.h), 1, r);
        for (int i = 0; i < c.px.length; i++) c.px[i] += (float) (hazeLevel * haze[i] + offset + vary * low[i]);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static double uniform(SplittableRandom r, double lo, double hi) { return lo + (hi - lo) * r.nextDouble(); }

    private static double clamp(double v, double lo, double hi) { return Math.max(lo, Math.min(hi, v)); }

    /** Separable Gaussian blur with clamped edges (for the haze; sigma is large, so precision is not an issue). */
    static float[] blur(float[] in, int w, int h, double sigma) {
        int rad = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * rad + 1];
        double sum = 0;
        for (int i = -rad; i <= rad; i++) sum += k[i + rad] = Math.exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.length; i++) k[i] /= sum;
        float[] tmp = new float[in.length], out = new float[in.length];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = -rad; i <= rad; i++) s += k[i + rad] * in[y * w + Math.min(w - 1, Math.max(0, x + i))];
                tmp[y * w + x] = (float) s;
            }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int i = -rad; i <= rad; i++) s += k[i + rad] * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x];
                out[y * w + x] = (float) s;
            }
        return out;
    }

    /** Pixel (x, y) covers [x-0.5, x+0.5] x [y-0.5, y+0.5]; primitives integrate over it to avoid aliasing. */
    private static final class Canvas {
        final int w, h;
        final float[] px;

        Canvas(int w, int h) {
            this.w = w;
            this.h = h;
            this.px = new float[w * h];
        }

        /** Adds a Gaussian of total {@code mass}, integrated exactly over each pixel (separable erf differences). */
        void gaussian(double cx, double cy, double s, double mass) {
            int rad = (int) Math.ceil(4 * s) + 1;
            int x0 = Math.max(0, (int) Math.floor(cx) - rad), x1 = Math.min(w - 1, (int) Math.ceil(cx) + rad);
            int y0 = Math.max(0, (int) Math.floor(cy) - rad), y1 = Math.min(h - 1, (int) Math.ceil(cy) + rad);
            if (x0 > x1 || y0 > y1) return;
            double[] ex = new double[x1 - x0 + 1];
            double inv = 1 / (Math.sqrt(2) * s);
            for (int x = x0; x <= x1; x++) ex[x - x0] = 0.5 * (erf((x + 0.5 - cx) * inv) - erf((x - 0.5 - cx) * inv));
            for (int y = y0; y <= y1; y++) {
                double ey = mass * 0.5 * (erf((y + 0.5 - cy) * inv) - erf((y - 0.5 - cy) * inv));
                for (int x = x0; x <= x1; x++) px[y * w + x] += (float) (ey * ex[x - x0]);
            }
        }

        /** Soft disc: logistic edge of width {@code edge}, supersampled 4x4 so sub-pixel radii render smoothly. */
        void disc(double cx, double cy, double radius, double edge, double peak) {
            int rad = (int) Math.ceil(radius + 4 * edge) + 1;
            for (int y = Math.max(0, (int) cy - rad); y <= Math.min(h - 1, (int) cy + rad); y++)
                for (int x = Math.max(0, (int) cx - rad); x <= Math.min(w - 1, (int) cx + rad); x++) {
                    double s = 0;
                    for (int sy = 0; sy < 4; sy++)
                        for (int sx = 0; sx < 4; sx++) {
                            double d = Math.hypot(x - 0.375 + 0.25 * sx - cx, y - 0.375 + 0.25 * sy - cy);
                            s += 1 / (1 + Math.exp((d - radius) / edge));
                        }
                    px[y * w + x] += (float) (peak * s / 16);
                }
        }
    }

    /** A star-shaped outline r(phi) = R (1 + sum_k a_k cos(k phi + p_k)), k = 2..5, smooth and irregular. */
    private record Star(double cx, double cy, double radius, double[] amp, double[] phase) {
        static Star random(double cx, double cy, double radius, double irregularity, SplittableRandom r) {
            double[] a = new double[4], p = new double[4];
            for (int k = 0; k < 4; k++) {
                a[k] = irregularity * r.nextDouble() / (k + 1); // higher harmonics weaker: smooth, blob-like
                p[k] = r.nextDouble() * 2 * Math.PI;
            }
            return new Star(cx, cy, radius, a, p);
        }

        double radiusAt(double phi) {
            double f = 1;
            for (int k = 0; k < amp.length; k++) f += amp[k] * Math.cos((k + 2) * phi + phase[k]);
            return radius * f;
        }

        double maxRadius() {
            double f = 1;
            for (double a : amp) f += a;
            return radius * f;
        }

        /** Soft inside-ness in [0, 1]: logistic in the radial distance to the outline. */
        double mask(double x, double y, double edge) {
            double dx = x - cx, dy = y - cy;
            double d = Math.hypot(dx, dy);
            return 1 / (1 + Math.exp((d - radiusAt(Math.atan2(dy, dx))) / edge));
        }
    }

    /** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): fast enough for millions of calls per phantom. */
    static double erf(double x) {
        double t = 1 / (1 + 0.3275911 * Math.abs(x));
        double y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592)
                * t * Math.exp(-x * x);
        return x >= 0 ? y : -y;
    }

    /** Seeded random fields used above. */
    static final class Fields {
        private Fields() {}

        static double normal(SplittableRandom r) { return io.equilibria.physics.Noise.gaussian(r); }

        /** Smooth value noise in [0, 1]: random values on a grid of spacing {@code scale}, smoothstep-interpolated,
         *  summed over {@code octaves} (each half the scale and half the weight) for texture. */
        static float[] fractal(int w, int h, double scale, int octaves, SplittableRandom r) {
            float[] out = new float[w * h];
            double weight = 1, total = 0;
            for (int o = 0; o < octaves; o++, scale /= 2, weight /= 2) {
                double s = Math.max(1, scale);
                int gw = (int) Math.ceil(w / s) + 2, gh = (int) Math.ceil(h / s) + 2;
                double[] g = new double[gw * gh];
                for (int i = 0; i < g.length; i++) g[i] = r.nextDouble();
                double ox = r.nextDouble(), oy = r.nextDouble(); // random grid phase: no seams at fixed places
                for (int y = 0; y < h; y++) {
                    double fy = y / s + oy;
                    int iy = (int) fy;
                    double ty = smooth(fy - iy);
                    for (int x = 0; x < w; x++) {
                        double fx = x / s + ox;
                        int ix = (int) fx;
                        double tx = smooth(fx - ix);
                        double a = g[iy * gw + ix] + tx * (g[iy * gw + ix + 1] - g[iy * gw + ix]);
                        double b = g[(iy + 1) * gw + ix] + tx * (g[(iy + 1) * gw + ix + 1] - g[(iy + 1) * gw + ix]);
                        out[y * w + x] += (float) (weight * (a + ty * (b - a)));
                    }
                }
                total += weight;
            }
            for (int i = 0; i < out.length; i++) out[i] /= (float) total;
            return out;
        }

        private static double smooth(double t) { return t * t * (3 - 2 * t); }
    }
}
