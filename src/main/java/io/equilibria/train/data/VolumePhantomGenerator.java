package io.equilibria.train.data;

import io.equilibria.image.Volume;

import java.util.SplittableRandom;

/**
 * Synthetic 3-D fluorescence ground truths (before any PSF or camera), as a widefield or confocal z-stack would
 * sample them: filaments, beads and vesicles, adherent cells, membrane sheets, on a faint smooth background.
 * Deterministic from (seed, size, voxel size); the result is {@code >= 0} with maximum exactly 1.
 *
 * <p>Voxels are anisotropic (typically 100 nm lateral, 250 nm axial), so every structure is drawn in physical units
 * (µm) and sampled on the voxel grid: a sphere is a sphere in the specimen and looks squashed in z voxels, and a
 * crop at another voxel size shows the same specimen. Counts are densities per µm³, scaled with the volume.
 *
 * <p>Rendering avoids aliasing without brute supersampling: points and curves are sums of Gaussians integrated
 * exactly over each voxel (erf differences per axis); surfaces (shells, sheets, cell outlines) are radial or
 * height-field profiles sampled at sub-steps no thicker than a lateral pixel along z, each sub-voxel box folded into
 * the profile's width along the local surface normal. Each structure only touches its bounding box.
 */
public final class VolumePhantomGenerator {
    /** Which structures to draw; {@link #MIXTURE} picks a random non-empty subset per volume. */
    public enum Kind { FILAMENTS, BEADS, CELLS, MEMBRANES, MIXTURE }

    /** A typical high-NA z-stack: 100 nm pixels, 250 nm steps (µm). */
    public static final double DEFAULT_VOXEL_XY = 0.1, DEFAULT_VOXEL_Z = 0.25;

    // Densities per 1000 µm³; package-private so tests can state the expected ranges.
    static final double FILAMENTS_MIN = 5, FILAMENTS_MAX = 40;
    static final double BEADS_MIN = 10, BEADS_MAX = 80;
    static final double MEMBRANES_MIN = 1, MEMBRANES_MAX = 5;
    static final double BEAD_RADIUS_MIN = 0.15, BEAD_RADIUS_MAX = 0.5; // resolved vesicles, µm

    private final Kind kind;

    public VolumePhantomGenerator() { this(Kind.MIXTURE); }

    public VolumePhantomGenerator(Kind kind) {
        if (kind == null) throw new IllegalArgumentException("kind must not be null");
        this.kind = kind;
    }

    public Kind kind() { return kind; }

    /** A phantom at the default voxel size. */
    public Volume generate(int width, int height, int depth, long seed) {
        return generate(width, height, depth, DEFAULT_VOXEL_XY, DEFAULT_VOXEL_Z, seed);
    }

    /** A phantom of {@code width x height x depth} voxels of {@code voxelXY x voxelXY x voxelZ} µm. */
    public Volume generate(int width, int height, int depth, double voxelXY, double voxelZ, long seed) {
        if (width <= 0 || height <= 0 || depth <= 0) throw new IllegalArgumentException("phantom size must be positive");
        if (!(voxelXY > 0 && voxelZ > 0 && Double.isFinite(voxelXY) && Double.isFinite(voxelZ)))
            throw new IllegalArgumentException("voxel size must be positive, got " + voxelXY + ", " + voxelZ);
        if ((long) width * height * depth > Integer.MAX_VALUE) throw new IllegalArgumentException("phantom too large");
        Grid g = new Grid(width, height, depth, voxelXY, voxelZ);
        SplittableRandom r = new SplittableRandom(seed);
        // One independent stream per structure, split in a fixed order, so that which structures a mixture
        // contains does not change how each one looks.
        SplittableRandom rc = r.split(), rf = r.split(), rb = r.split(), rm = r.split(), rg = r.split();
        boolean cells = kind == Kind.CELLS, filaments = kind == Kind.FILAMENTS, beads = kind == Kind.BEADS,
                membranes = kind == Kind.MEMBRANES;
        if (kind == Kind.MIXTURE) {
            do {
                cells = r.nextDouble() < 0.5;
                filaments = r.nextDouble() < 0.6;
                beads = r.nextDouble() < 0.6;
                membranes = r.nextDouble() < 0.4;
            } while (!(cells || filaments || beads || membranes));
        }
        // With cells present, filaments are usually a cytoskeleton: drawn apart, then kept inside the cytoplasm.
        boolean inside = cells && filaments && r.nextDouble() < 0.7;
        float[] cytoplasm = inside ? new float[g.v.length] : null;
        if (cells) cells(g, cytoplasm, rc);
        if (inside) {
            Grid f = new Grid(width, height, depth, voxelXY, voxelZ);
            filaments(f, rf, 4); // denser: most of each curve is masked away
            for (int i = 0; i < g.v.length; i++) g.v[i] += f.v[i] * cytoplasm[i];
        } else if (filaments) {
            filaments(g, rf, 1);
        }
        if (membranes) membranes(g, rm);
        if (beads) beads(g, rb);
        background(g, rg);
        float max = 0;
        for (float v : g.v) max = Math.max(max, v);
        if (max > 0) for (int i = 0; i < g.v.length; i++) g.v[i] /= max; // v/v == 1 exactly at the peak
        return new Volume(width, height, depth, g.v);
    }

    // ---- structures (lengths in lateral pixels unless named *Um; z in lateral pixels too, see Grid) ----------

    /** Stiff curves whose 3-D curvature vector is a smooth (Ornstein–Uhlenbeck) process, like microtubules and actin
     *  cables; they run mostly parallel to the coverslip with gentle z undulation, as in a flat adherent cell. */
    private static void filaments(Grid g, SplittableRandom r, double densityFactor) {
        int n = g.count(densityFactor * uniform(r, FILAMENTS_MIN, FILAMENTS_MAX), r);
        double sigmaUm = uniform(r, 0.05, 0.09); // one labelling per volume (a microtubule + antibodies ≈ 60 nm)
        double tilt = uniform(r, 0.05, 0.35);    // how far they leave the coverslip plane
        for (int f = 0; f < n; f++) {
            double s = Math.max(0.4, g.px(sigmaUm * uniform(r, 0.85, 1.15)));
            double[] p = {uniform(r, -0.1, 1.1) * g.w, uniform(r, -0.1, 1.1) * g.h, r.nextDouble() * g.zLen};
            double phi = r.nextDouble() * 2 * Math.PI, tz = tilt * normal(r);
            double[] t = normalise(new double[] {Math.cos(phi), Math.sin(phi), tz});
            double length = g.px(uniform(r, 4, 30));
            double kappaSd = 1 / g.px(uniform(r, 2, 20)), corr = g.px(uniform(r, 0.8, 4)); // curvature, its memory
            double bright = uniform(r, 0.3, 1), mod = 0;
            double[] kappa = new double[3];
            double ds = Math.min(1, 1.2 * s); // Gaussians 1.2 s apart sum to a tube smooth to ~1e-6
            double lineMass = 2 * Math.PI * s * s; // mass per unit length giving a tube of peak 1
            for (double l = 0; l < length; l += ds) {
                double a = ds / corr, k = Math.sqrt(2 * a) * kappaSd;
                for (int i = 0; i < 3; i++) kappa[i] += -a * kappa[i] + k * normal(r) * (i == 2 ? tilt : 1);
                kappa[2] -= 0.5 * a * t[2] / corr; // a weak pull back towards the coverslip plane
                double along = kappa[0] * t[0] + kappa[1] * t[1] + kappa[2] * t[2];
                for (int i = 0; i < 3; i++) kappa[i] -= along * t[i]; // curvature is normal to the tangent
                mod += -a * mod + Math.sqrt(2 * a) * 0.25 * normal(r); // labelling density drifts along the filament
                for (int i = 0; i < 3; i++) t[i] += kappa[i] * ds;
                normalise(t);
                for (int i = 0; i < 3; i++) p[i] += t[i] * ds;
                g.gaussian(p[0], p[1], p[2], s, bright * Math.max(0.3, 1 + mod) * lineMass * ds);
            }
        }
    }

    /** Sub-resolution beads (voxel-integrated Gaussians) and resolved vesicles: soft solid spheres or hollow shells
     *  (membrane-labelled vesicles, lipid droplets rims). */
    private static void beads(Grid g, SplittableRandom r) {
        int n = g.count(uniform(r, BEADS_MIN, BEADS_MAX), r);
        double resolved = r.nextDouble() * 0.5, hollow = r.nextDouble() * 0.7;
        for (int i = 0; i < n; i++) {
            double x = r.nextDouble() * g.w - 0.5, y = r.nextDouble() * g.h - 0.5, z = r.nextDouble() * g.zLen;
            double peak = Math.exp(uniform(r, Math.log(0.15), 0)); // log-uniform: a few bright, many dim
            if (r.nextDouble() < resolved) {
                double radius = g.px(uniform(r, BEAD_RADIUS_MIN, BEAD_RADIUS_MAX));
                double s = Math.max(0.5, g.px(uniform(r, 0.03, 0.06)));
                if (r.nextDouble() < hollow) g.ball(x, y, z, radius, s, 0, peak);
                else g.ball(x, y, z, radius, s, peak * 0.6, 0);
            } else {
                double s = Math.max(0.35, g.px(uniform(r, 0.04, 0.09)));
                g.gaussian(x, y, z, s, peak * Math.pow(2 * Math.PI, 1.5) * s * s * s);
            }
        }
    }

    /** Adherent cells: ellipsoids (with smooth irregularity) cut flat by the coverslip, a bright membrane, dim
     *  textured cytoplasm, a textured nucleus with darker nucleoli. {@code cytoplasm}, if given, receives where
     *  a cytoskeleton may lie (inside a cell, outside its nucleus). */
    private static void cells(Grid g, float[] cytoplasm, SplittableRandom r) {
        double semiMean = g.px(uniform(r, 4, 9));
        double coverage = uniform(r, 0.3, 0.8);
        int n = Math.max(1, (int) Math.round(coverage * g.w * g.h / (Math.PI * semiMean * semiMean)));
        double coverslip = uniform(r, -0.05, 0.3) * g.zLen;
        double sMembrane = Math.max(0.5, g.px(uniform(r, 0.05, 0.08)));
        Noise3 texture = new Noise3(r.nextLong(), g.px(uniform(r, 0.6, 1.5)));
        Noise3 chromatin = new Noise3(r.nextLong(), g.px(uniform(r, 0.25, 0.5)));
        double[] placed = new double[3 * n];
        for (int i = 0; i < n; i++) {
            double a = semiMean * uniform(r, 0.7, 1.3), b = a * uniform(r, 0.55, 1);
            double x = 0, y = 0; // cultured cells touch but rarely pile up: retry overlapping positions
            for (int attempt = 0; attempt < 30; attempt++) {
                x = r.nextDouble() * g.w;
                y = r.nextDouble() * g.h;
                boolean free = true;
                for (int j = 0; j < i && free; j++)
                    free = Math.hypot(x - placed[3 * j], y - placed[3 * j + 1]) > 0.9 * (a + placed[3 * j + 2]);
                if (free) break;
            }
            placed[3 * i] = x;
            placed[3 * i + 1] = y;
            placed[3 * i + 2] = a;
            Cell c = new Cell(x, y, coverslip, a, b, g.px(uniform(r, 1.5, 3.5)), r.nextDouble() * Math.PI, r,
                    sMembrane, uniform(r, 0.7, 1), uniform(r, 0.1, 0.2), uniform(r, 0.25, 0.6), r.nextDouble() < 0.9,
                    texture, chromatin, g.a);
            g.render(c.x0(), c.x1(), c.y0(), c.y1(), c.z0(g.a), c.z1(g.a), c);
            if (cytoplasm != null) g.visit(c.x0(), c.x1(), c.y0(), c.y1(), c.z0(g.a), c.z1(g.a),
                    (k, px, py, pz) -> cytoplasm[k] = (float) Math.max(cytoplasm[k], c.cytoplasm(px, py, pz)));
        }
    }

    /** Membrane sheets (ER sheets, Golgi-like stacks): smooth folded height fields over an irregular disc in a
     *  random plane, with fenestrations, a Gaussian cross-section across the sheet. */
    private static void membranes(Grid g, SplittableRandom r) {
        int n = g.count(uniform(r, MEMBRANES_MIN, MEMBRANES_MAX), r);
        double s = Math.max(0.5, g.px(uniform(r, 0.04, 0.07)));
        for (int i = 0; i < n; i++) {
            new Sheet(new double[] {r.nextDouble() * g.w, r.nextDouble() * g.h, r.nextDouble() * g.zLen},
                    g.px(uniform(r, 1, 3.5)), s, uniform(r, 0.3, 1), g, r).draw(g);
        }
    }

    /** Faint autofluorescence: an offset with a very smooth 3-D variation (out-of-focus light is the PSF's job). */
    private static void background(Grid g, SplittableRandom r) {
        float top = 0; // levels relative to the brightest structure, so a dim specimen is not drowned
        for (float v : g.v) top = Math.max(top, v);
        if (top == 0) top = 1;
        double offset = top * uniform(r, 0.003, 0.012), vary = top * uniform(r, 0, 0.01);
        Noise3 low = new Noise3(r.nextLong(), uniform(r, 0.4, 1) * Math.max(Math.max(g.w, g.h), g.zLen));
        int step = 8; // the field varies over >= 40 px: sample each row every 8 px and interpolate (8x cheaper)
        double[] knots = new double[g.w / step + 2];
        for (int z = 0; z < g.d; z++)
            for (int y = 0; y < g.h; y++) {
                for (int i = 0; i < knots.length; i++) knots[i] = low.at(i * step, y, z * g.a);
                for (int x = 0, k = (z * g.h + y) * g.w; x < g.w; x++, k++) {
                    double t = (double) (x % step) / step;
                    g.v[k] += (float) (offset + vary * (knots[x / step] + t * (knots[x / step + 1] - knots[x / step])));
                }
            }
    }

    // ---- shapes -----------------------------------------------------------------------------------------------

    /** One adherent cell: an ellipsoid (semi-axes a, b laterally, c axially, rotated by theta) whose centre sits
     *  0.35c above the coverslip, so the coverslip cuts a flat base; radii wobble with the direction. */
    private static final class Cell implements Field {
        final double cx, cy, cz, base, a, b, c, cos, sin, sMem, memBright, cyto, nucBright, margin, edge = 0.6;
        final double[] wob = new double[18]; // 3 x (unit direction, frequency, phase, amplitude)
        final boolean nucleus;
        final Noise3 texture, chromatin;
        final double nx, ny, nz, na, nb, nc;
        final double[] nucleoli; // (x, y, z, radius) x k

        Cell(double x, double y, double coverslip, double a, double b, double c, double theta, SplittableRandom r,
             double sMem, double memBright, double cyto, double nucBright, boolean nucleus, Noise3 texture,
             Noise3 chromatin, double voxelZ) {
            this.texture = texture;
            this.chromatin = chromatin;
            this.margin = 4 * Math.max(sMem, edge) + voxelZ + 1; // beyond it, no surface inside the voxel
            this.cx = x;
            this.cy = y;
            this.base = coverslip;
            this.cz = coverslip + 0.35 * c;
            this.a = a;
            this.b = b;
            this.c = c;
            this.cos = Math.cos(theta);
            this.sin = Math.sin(theta);
            this.sMem = sMem;
            this.memBright = memBright;
            this.cyto = cyto * memBright; // cytoplasm relative to the membrane, as with a membrane-bound dye
            this.nucBright = nucBright * memBright; // a nucleus dimmer than its membrane: the outline stays visible
            this.nucleus = nucleus;
            for (int k = 0; k < 3; k++) {
                double[] u = normalise(new double[] {normal(r), normal(r), normal(r)});
                System.arraycopy(u, 0, wob, 6 * k, 3);
                wob[6 * k + 3] = (k + 1.5) * Math.PI;
                wob[6 * k + 4] = r.nextDouble() * 2 * Math.PI;
                wob[6 * k + 5] = uniform(r, 0.02, 0.1);
            }
            double off = 0.2 * r.nextDouble(), phi = r.nextDouble() * 2 * Math.PI;
            this.na = a * uniform(r, 0.35, 0.5);
            this.nb = Math.min(na, b * 0.75) * uniform(r, 0.8, 1);
            this.nc = 0.35 * c; // top at 0.9c: cytoplasm stays between the nucleus and the top membrane
            this.nx = x + off * a * Math.cos(phi);
            this.ny = y + off * b * Math.sin(phi);
            this.nz = coverslip + 0.55 * c;
            int k = 1 + r.nextInt(3);
            nucleoli = new double[4 * k];
            for (int i = 0; i < k; i++) {
                nucleoli[4 * i] = nx + 0.4 * na * uniform(r, -1, 1);
                nucleoli[4 * i + 1] = ny + 0.4 * nb * uniform(r, -1, 1);
                nucleoli[4 * i + 2] = nz + 0.3 * nc * uniform(r, -1, 1);
                nucleoli[4 * i + 3] = Math.min(nc, na) * uniform(r, 0.15, 0.3);
            }
        }

        double reachXY() { return Math.max(a, b) * 1.35 + 4 * sMem + 2; }
        int x0() { return (int) Math.floor(cx - reachXY()); }
        int x1() { return (int) Math.ceil(cx + reachXY()); }
        int y0() { return (int) Math.floor(cy - reachXY()); }
        int y1() { return (int) Math.ceil(cy + reachXY()); }
        int z0(double a) { return (int) Math.floor((base - 4 * sMem - 2) / a); }
        int z1(double a) { return (int) Math.ceil((cz + 1.35 * c + 4 * sMem + 2) / a); }

        private double normalZ; // the outward normal's axial component at the last distance() (one thread per phantom)

        /** Signed distance (approximate, first order, px) to the outline; sets {@link #normalZ}. */
        private double distance(double px, double py, double pz) {
            double dx = px - cx, dy = py - cy, dz = pz - cz;
            double u = cos * dx + sin * dy, v = -sin * dx + cos * dy;
            double qa = u / a, qb = v / b, qc = dz / c;
            double f = Math.sqrt(qa * qa + qb * qb + qc * qc) + 1e-12;
            // a smooth irregularity: scale the radius by 1 + sum of low-frequency waves over the direction
            double wobble = 1;
            for (int k = 0; k < 18; k += 6) {
                double dot = (qa * wob[k] + qb * wob[k + 1] + qc * wob[k + 2]) / f;
                wobble += wob[k + 5] * Math.cos(wob[k + 3] * dot + wob[k + 4]);
            }
            double gu = qa / a, gv = qb / b, gc = qc / c, gn = Math.sqrt(gu * gu + gv * gv + gc * gc) / f + 1e-12;
            double d = (f / wobble - 1) / gn;
            normalZ = gc / f / gn;
            double dBase = base - pz; // the coverslip cuts the cell: intersection = max of signed distances
            if (dBase > d) {
                normalZ = 1;
                return dBase;
            }
            return d;
        }

        private static double ellipsoid(double px, double py, double pz, double x, double y, double z, double a,
                                        double b, double c) {
            double qa = (px - x) / a, qb = (py - y) / b, qc = (pz - z) / c;
            double f = Math.sqrt(qa * qa + qb * qb + qc * qc) + 1e-12;
            double gn = Math.sqrt(qa * qa / (a * a) + qb * qb / (b * b) + qc * qc / (c * c)) / f + 1e-12;
            return (f - 1) / gn;
        }

        @Override
        public boolean skipColumn(double px, double py) {
            double dx = px - cx, dy = py - cy, u = cos * dx + sin * dy, v = -sin * dx + cos * dy;
            double ru = 1.35 * a + margin, rv = 1.35 * b + margin; // the wobble stays below 1.3
            return u * u / (ru * ru) + v * v / (rv * rv) > 1;
        }

        @Override
        public double voxel(double px, double py, double pz, double voxelZ, int n) {
            double d = distance(px, py, pz);
            if (d > margin) return 0;
            boolean inner = d < -margin && (!nucleus || Math.abs(ellipsoid(px, py, pz, nx, ny, nz, na, nb, nc)) > margin);
            return inner ? at(px, py, pz, voxelZ) : Field.super.voxel(px, py, pz, voxelZ, n); // no surface near: one sample
        }

        @Override
        public double at(double px, double py, double pz, double hz) {
            double d = distance(px, py, pz);
            if (d > 4 * sMem + hz + 1) return 0;
            double v = memBright * shell(d, sMem, normalZ, hz);
            double in = solid(d, edge, normalZ, hz);
            if (in < 1e-4) return v;
            double interior = cyto * (0.6 + 0.8 * texture.at(px, py, pz));
            if (nucleus) {
                double dn = ellipsoid(px, py, pz, nx, ny, nz, na, nb, nc);
                double inN = dn > 3 ? 0 : 1 / (1 + Math.exp(dn / edge));
                if (inN > 1e-4) {
                    double chrom = 0.5 + 0.8 * chromatin.at(px, py, pz);
                    for (int i = 0; i < nucleoli.length; i += 4) {
                        double dd = Math.sqrt(sq(px - nucleoli[i]) + sq(py - nucleoli[i + 1]) + sq(pz - nucleoli[i + 2]))
                                - nucleoli[i + 3];
                        chrom *= 1 - 0.6 / (1 + Math.exp(dd / edge));
                    }
                    interior += inN * (nucBright * chrom - interior);
                }
            }
            return v + in * interior;
        }

        /** Where a cytoskeleton may be: inside the cell, outside the nucleus (at the voxel centre). */
        double cytoplasm(double px, double py, double pz) {
            double d = distance(px, py, pz);
            if (d > 3) return 0;
            double in = 1 / (1 + Math.exp(d / edge));
            if (nucleus) in *= 1 - 1 / (1 + Math.exp(ellipsoid(px, py, pz, nx, ny, nz, na, nb, nc) / edge));
            return in;
        }
    }

    /** A membrane sheet: w = h(u, v) in a random frame (e1, e2, e3) about centre c; a few smooth waves make the
     *  folds, an irregular soft outline bounds it, value noise punches fenestrations; sometimes a stack of 2–4.
     *  Drawn as voxel-integrated Gaussians on a (u, v) lattice: the cost follows the sheet's area, not its box. */
    private static final class Sheet {
        final double[] c, e1, e2, e3;
        final double radius, s, bright, holes, spacing;
        final int layers;
        final double[] waves; // (ku, kv, amplitude, phase) x K
        final double[] outline = new double[6]; // (amplitude, phase) x 3 harmonics
        final Noise3 fenestrae, shade;

        Sheet(double[] c, double radius, double s, double bright, Grid g, SplittableRandom r) {
            this.c = c;
            this.radius = radius;
            this.s = s;
            this.bright = bright;
            e3 = normalise(new double[] {normal(r), normal(r), normal(r)});
            double[] any = Math.abs(e3[0]) < 0.9 ? new double[] {1, 0, 0} : new double[] {0, 1, 0};
            e1 = normalise(cross(e3, any));
            e2 = cross(e3, e1);
            int k = 2 + r.nextInt(3);
            waves = new double[4 * k];
            for (int i = 0; i < k; i++) {
                double lambda = g.px(uniform(r, 1.5, 6)), dir = r.nextDouble() * 2 * Math.PI;
                waves[4 * i] = 2 * Math.PI / lambda * Math.cos(dir);
                waves[4 * i + 1] = 2 * Math.PI / lambda * Math.sin(dir);
                waves[4 * i + 2] = lambda / (2 * Math.PI) * uniform(r, 0.1, 0.6) / Math.sqrt(k); // slopes below ~1
                waves[4 * i + 3] = r.nextDouble() * 2 * Math.PI;
            }
            for (int i = 0; i < 3; i++) {
                outline[2 * i] = 0.25 * r.nextDouble() / (i + 1);
                outline[2 * i + 1] = r.nextDouble() * 2 * Math.PI;
            }
            layers = r.nextDouble() < 0.25 ? 2 + r.nextInt(3) : 1;
            spacing = g.px(uniform(r, 0.2, 0.4)); // cisternae stacked ~ 0.3 µm apart
            holes = r.nextDouble() < 0.6 ? uniform(r, 0.3, 0.5) : 0; // value-noise level below which the sheet is open
            fenestrae = new Noise3(r.nextLong(), g.px(uniform(r, 0.3, 0.8)));
            shade = new Noise3(r.nextLong(), g.px(uniform(r, 1, 3)));
        }

        void draw(Grid g) {
            double ds = Math.min(1, 1.2 * s), extent = radius * 1.4 + 6; // the outline's harmonics stay below 1.4
            double areaMass = bright * Math.sqrt(2 * Math.PI) * s * ds * ds; // a sheet of peak `bright` per lattice cell
            for (double u = -extent; u <= extent; u += ds)
                for (double v = -extent; v <= extent; v += ds) {
                    double rho = Math.hypot(u, v), rim = 1, ang = Math.atan2(v, u);
                    for (int i = 0; i < 3; i++) rim += outline[2 * i] * Math.cos((i + 2) * ang + outline[2 * i + 1]);
                    double edge = 1 / (1 + Math.exp((rho - radius * rim) / 1.5));
                    if (edge < 1e-3) continue;
                    double open = holes == 0 ? 1 : smoothstep((fenestrae.at(u, v, 0) - holes) / 0.08);
                    if (open <= 0) continue;
                    double h = 0, hu = 0, hv = 0;
                    for (int i = 0; i < waves.length; i += 4) {
                        double arg = waves[i] * u + waves[i + 1] * v + waves[i + 3], amp = waves[i + 2];
                        h += amp * Math.cos(arg);
                        hu -= amp * Math.sin(arg) * waves[i];
                        hv -= amp * Math.sin(arg) * waves[i + 1];
                    }
                    // the lattice cell's area on the folded surface, so the sheet's peak does not grow on slopes
                    double mass = areaMass * edge * open * (0.6 + 0.8 * shade.at(u, v, 0)) * Math.sqrt(1 + hu * hu + hv * hv);
                    for (int l = 0; l < layers; l++) {
                        double w = h + l * spacing;
                        g.gaussian(c[0] + u * e1[0] + v * e2[0] + w * e3[0], c[1] + u * e1[1] + v * e2[1] + w * e3[1],
                                c[2] + u * e1[2] + v * e2[2] + w * e3[2], s, mass);
                    }
                }
        }
    }

    // ---- sampling ---------------------------------------------------------------------------------------------

    /**
     * The volume in physical coordinates measured in lateral pixels: voxel (x, y, z) is centred at
     * (x, y, z·a) with a = voxelZ / voxelXY, and covers a 1 x 1 x a box.
     */
    private static final class Grid {
        final int w, h, d;
        final double a, voxelXY, zLen, volumeUm3;
        final float[] v;

        Grid(int w, int h, int d, double voxelXY, double voxelZ) {
            this.w = w;
            this.h = h;
            this.d = d;
            this.voxelXY = voxelXY;
            this.a = voxelZ / voxelXY;
            this.zLen = d * a;
            this.volumeUm3 = w * voxelXY * h * voxelXY * d * voxelZ;
            this.v = new float[w * h * d];
        }

        double px(double um) { return um / voxelXY; }

        /** How many structures for a density per 1000 µm³: at least one, so every kind shows in small crops. */
        int count(double per1000, SplittableRandom r) {
            double mean = per1000 * volumeUm3 / 1000;
            return Math.max(1, (int) Math.floor(mean + r.nextDouble())); // stochastic rounding keeps the mean
        }

        /** Adds an isotropic Gaussian of total {@code mass} (px³ units), integrated exactly over each voxel box. */
        void gaussian(double cx, double cy, double cz, double s, double mass) {
            double reach = 4 * s + 0.5;
            int x0 = Math.max(0, (int) Math.floor(cx - reach)), x1 = Math.min(w - 1, (int) Math.ceil(cx + reach));
            int y0 = Math.max(0, (int) Math.floor(cy - reach)), y1 = Math.min(h - 1, (int) Math.ceil(cy + reach));
            int z0 = Math.max(0, (int) Math.floor((cz - reach) / a)), z1 = Math.min(d - 1, (int) Math.ceil((cz + reach) / a));
            if (x0 > x1 || y0 > y1 || z0 > z1) return;
            double inv = 1 / (Math.sqrt(2) * s);
            double[] ex = cdfSteps(x0, x1, 1, cx, inv), ey = cdfSteps(y0, y1, 1, cy, inv), ez = cdfSteps(z0, z1, a, cz, inv);
            for (int z = z0; z <= z1; z++) {
                double mz = mass / a * ez[z - z0]; // mean density over the voxel = mass fraction / voxel volume (1 x 1 x a)
                if (mz < 1e-9 * mass) continue;
                for (int y = y0; y <= y1; y++) {
                    double eyz = mz * ey[y - y0];
                    int row = (z * h + y) * w;
                    for (int x = x0; x <= x1; x++) v[row + x] += (float) (eyz * ex[x - x0]);
                }
            }
        }

        /** The mass fractions of a unit Gaussian (1/(√2 s) = inv) about c in the cells [(i - ½) step, (i + ½) step],
         *  i = i0..i1: one erf per cell boundary. */
        private static double[] cdfSteps(int i0, int i1, double step, double c, double inv) {
            double[] out = new double[i1 - i0 + 1];
            double prev = erf(((i0 - 0.5) * step - c) * inv);
            for (int i = i0; i <= i1; i++) {
                double next = erf(((i + 0.5) * step - c) * inv);
                out[i - i0] = 0.5 * (next - prev);
                prev = next;
            }
            return out;
        }

        /** A sphere: a soft solid of level {@code solid} and/or a Gaussian shell of peak {@code shell}. */
        void ball(double cx, double cy, double cz, double radius, double s, double solid, double shell) {
            render((int) Math.floor(cx - radius - 4 * s - 1), (int) Math.ceil(cx + radius + 4 * s + 1),
                    (int) Math.floor(cy - radius - 4 * s - 1), (int) Math.ceil(cy + radius + 4 * s + 1),
                    (int) Math.floor((cz - radius - 4 * s - 1) / a), (int) Math.ceil((cz + radius + 4 * s + 1) / a),
                    new Field() {
                        @Override
                        public double at(double px, double py, double pz, double hz) {
                            double dx = px - cx, dy = py - cy, dz = pz - cz, rho = Math.sqrt(dx * dx + dy * dy + dz * dz);
                            double nz = rho > 0 ? dz / rho : 0, dist = rho - radius;
                            return solid * solid(dist, s, nz, hz) + shell * VolumePhantomGenerator.shell(dist, s, nz, hz);
                        }

                        @Override
                        public double voxel(double px, double py, double pz, double a, int n) {
                            double dist = Math.sqrt(sq(px - cx) + sq(py - cy) + sq(pz - cz)) - radius;
                            if (dist > 4 * s + a + 1) return 0;
                            return dist < -4 * s - a - 1 ? solid : Field.super.voxel(px, py, pz, a, n);
                        }
                    });
        }

        /** Adds the mean of {@code f} over each voxel of the box (clipped to the volume): the voxel is split along z into sub-boxes no thicker than a lateral pixel, and f folds each
         *  sub-box into its own profile width; where f says it is smooth, one sample of the whole voxel does. */
        void render(int x0, int x1, int y0, int y1, int z0, int z1, Field f) {
            int n = Math.max(1, (int) Math.ceil(a - 1e-9));
            x0 = Math.max(0, x0); y0 = Math.max(0, y0); z0 = Math.max(0, z0);
            x1 = Math.min(w - 1, x1); y1 = Math.min(h - 1, y1); z1 = Math.min(d - 1, z1);
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++) {
                    if (f.skipColumn(x, y)) continue; // column-wise, so that a structure can skip its box's corners
                    for (int z = z0; z <= z1; z++) v[(z * h + y) * w + x] += (float) f.voxel(x, y, z * a, a, n);
                }
        }

        /** Calls {@code f} at each voxel centre of the box (clipped to the volume), in memory order. */
        void visit(int x0, int x1, int y0, int y1, int z0, int z1, Visitor f) {
            x0 = Math.max(0, x0); y0 = Math.max(0, y0); z0 = Math.max(0, z0);
            x1 = Math.min(w - 1, x1); y1 = Math.min(h - 1, y1); z1 = Math.min(d - 1, z1);
            for (int z = z0; z <= z1; z++)
                for (int y = y0; y <= y1; y++)
                    for (int x = x0, k = (z * h + y) * w + x0; x <= x1; x++, k++) f.at(k, x, y, z * a);
        }
    }

    /** A structure's value at a point (px), prefiltered for a sample box 1 x 1 x hz. */
    @FunctionalInterface
    private interface Field {
        double at(double x, double y, double z, double hz);

        /** True if the structure is zero along the whole column (x, y). */
        default boolean skipColumn(double x, double y) { return false; }

        /** The mean over the voxel centred at (x, y, z), thickness a: n sub-boxes along z, each a sample; a field
         *  that knows no surface passes near may answer with one sample. */
        default double voxel(double x, double y, double z, double a, int n) {
            double hz = a / n, sum = 0;
            for (int j = 0; j < n; j++) sum += at(x, y, z - 0.5 * a + (j + 0.5) * hz, hz);
            return sum / n;
        }
    }

    @FunctionalInterface
    private interface Visitor { void at(int index, double x, double y, double z); }

    /**
     * Box prefiltering along a surface normal: over a sample box 1 x 1 x hz, the signed distance to a locally flat
     * surface varies like a sum of uniforms; its variance (nx² + ny² + (nz hz)²)/12 = (1 + nz²(hz² - 1))/12 is added
     * to the profile's. A thin sheet tilted through a thick voxel then keeps its mass instead of flickering.
     */
    private static double boxVariance(double nz, double hz) { return (1 + nz * nz * (hz * hz - 1)) / 12; }

    /** Gaussian profile of peak 1 and width s across a surface, averaged over the sample box (mass preserved). */
    static double shell(double dist, double s, double nz, double hz) {
        double se2 = s * s + boxVariance(nz, hz);
        return Math.sqrt(s * s / se2) * Math.exp(-dist * dist / (2 * se2));
    }

    /** Soft inside-ness (logistic of scale e, variance π²e²/3) averaged over the sample box. */
    static double solid(double dist, double e, double nz, double hz) {
        double ee = Math.sqrt(e * e + 3 * boxVariance(nz, hz) / (Math.PI * Math.PI));
        double t = dist / ee;
        return t > 30 ? 0 : 1 / (1 + Math.exp(t));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static double uniform(SplittableRandom r, double lo, double hi) { return lo + (hi - lo) * r.nextDouble(); }

    private static double normal(SplittableRandom r) { return io.equilibria.physics.Noise.gaussian(r); }

    private static double sq(double x) { return x * x; }

    private static double smoothstep(double t) {
        t = Math.max(0, Math.min(1, t));
        return t * t * (3 - 2 * t);
    }

    private static double[] normalise(double[] v) {
        double n = Math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        for (int i = 0; i < 3; i++) v[i] /= n;
        return v;
    }

    private static double[] cross(double[] p, double[] q) {
        return new double[] {p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]};
    }

    private static double erf(double x) { return PhantomGenerator.erf(x); }

    /** Smooth 3-D value noise in [0, 1] without stored lattices: lattice values are hashed from (seed, i, j, k),
     *  so a structure evaluates it only where it draws; two octaves for texture. */
    static final class Noise3 {
        private final long seed;
        private final double inv;

        Noise3(long seed, double scale) {
            this.seed = seed;
            this.inv = 1 / Math.max(1, scale);
        }

        double at(double x, double y, double z) {
            return (2 * octave(x * inv, y * inv, z * inv, seed) + octave(2 * x * inv, 2 * y * inv, 2 * z * inv, ~seed)) / 3;
        }

        private static double octave(double x, double y, double z, long seed) {
            int i = (int) Math.floor(x), j = (int) Math.floor(y), k = (int) Math.floor(z);
            double tx = smooth(x - i), ty = smooth(y - j), tz = smooth(z - k);
            double c00 = lerp(tx, hash(seed, i, j, k), hash(seed, i + 1, j, k));
            double c10 = lerp(tx, hash(seed, i, j + 1, k), hash(seed, i + 1, j + 1, k));
            double c01 = lerp(tx, hash(seed, i, j, k + 1), hash(seed, i + 1, j, k + 1));
            double c11 = lerp(tx, hash(seed, i, j + 1, k + 1), hash(seed, i + 1, j + 1, k + 1));
            return lerp(tz, lerp(ty, c00, c10), lerp(ty, c01, c11));
        }

        private static double smooth(double t) { return t * t * (3 - 2 * t); }

        private static double lerp(double t, double a, double b) { return a + t * (b - a); }

        /** A uniform in [0, 1) from the lattice point (SplitMix64's finaliser). */
        private static double hash(long seed, int i, int j, int k) {
            long z = seed + i * 0x9E3779B97F4A7C15L + j * 0xC2B2AE3D27D4EB4FL + k * 0x165667B19E3779F9L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return ((z ^ (z >>> 31)) >>> 11) * 0x1.0p-53;
        }
    }
}
