package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.image.Stats;
import io.equilibria.image.Volume;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.GibsonLanni;
import io.equilibria.physics.Noise;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.VolumeConvolution;
import io.equilibria.priors.NoiseLevel;
import io.equilibria.train.data.VolumePhantomGenerator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random 3D deconvolution problems for training a DEQ on z-stacks, deterministic for (seed, step):
 * <ul>
 *   <li>optics: a pool of {@link Settings#psfPool} 3D PSFs built once per seed (computing one is the slow part):
 *       Born &amp; Wolf or Gibson–Lanni, immersion oil (1.518, NA 0.8–1.45), water (1.333, NA 0.8–1.2) or air (NA
 *       0.8–0.95), λ 450–650 nm, lateral voxel 0.065–0.16 µm, axial 0.15–0.5 µm; a third of the Gibson–Lanni PSFs
 *       image a sample of another index (water in oil, tissue 1.36–1.45 in water, water under air) 2–10 µm deep.
 *       Each is computed on twice the kept depth, cropped to {@link Settings#psfLateral}² × {@link Settings#psfDepth}
 *       voxels around the plane of its brightest voxel (so a focal shift keeps the peak in the crop), unit sum;</li>
 *   <li>truth: a {@link VolumePhantomGenerator} MIXTURE phantom at the PSF's voxel size, generated at the operator's
 *       domain size (field + PSF − 1 in each axis, the extended boundary): the truth is the whole domain;</li>
 *   <li>measurement: y = A x on the field of view ({@link VolumeConvolution}, extended boundary), then y and x are
 *       scaled so that y's 99.8th percentile is 1 (what {@code Normalization.toUnitPercentile} does to a user's stack
 *       before a learned method), then Poisson noise with N photons at that percentile (N log-uniform in
 *       [photonsMin, photonsMax]) and Gaussian read noise of r e⁻ (r uniform in [readMin, readMax]), both in these
 *       normalised units;</li>
 *   <li>σ: the volume's noise level as inference estimates it ({@link NoiseLevel#volume}, the median over the planes),
 *       not the true one, so the learned σ scale fits what the model will be given.</li>
 * </ul>
 * All problems of one batch share the field depth (drawn per step in [depthMin, depthMax]) and so one state shape.
 */
public final class VolumeProblemFactory {
    /**
     * @param lateral    field of view side (x and y) in voxels
     * @param depthMin   field depth in slices is uniform in [depthMin, depthMax] per step
     * @param psfLateral odd lateral PSF size (≤ lateral)
     * @param psfDepth   odd axial PSF size (≤ depthMin)
     * @param psfPool    PSFs built per seed
     */
    public record Settings(int lateral, int depthMin, int depthMax, int psfLateral, int psfDepth, int psfPool,
                           double photonsMin, double photonsMax, double readMin, double readMax) {
        public static final Settings DEFAULT = new Settings(48, 24, 32, 21, 21, 24, 30, 2000, 1, 4);

        public Settings {
            if (lateral < 8 || depthMin < 3 || depthMax < depthMin) throw new IllegalArgumentException("need a field of at least 8x8x3 voxels and depth-min <= depth-max");
            if (psfLateral % 2 == 0 || psfDepth % 2 == 0 || psfLateral < 3 || psfDepth < 3)
                throw new IllegalArgumentException("PSF sizes must be odd and >= 3, got " + psfLateral + "x" + psfDepth);
            if (psfLateral > lateral || psfDepth > depthMin)
                throw new IllegalArgumentException("the PSF (" + psfLateral + "x" + psfLateral + "x" + psfDepth + ") must fit the field (" + lateral + "x" + lateral + "x" + depthMin + ")");
            if (psfPool < 1) throw new IllegalArgumentException("PSF pool must be >= 1");
            if (!(photonsMin > 0 && photonsMax >= photonsMin)) throw new IllegalArgumentException("need 0 < photons-min <= photons-max");
            if (!(readMin >= 0 && readMax >= readMin)) throw new IllegalArgumentException("need 0 <= read-min <= read-max");
        }

        public Settings withField(int lateral, int depthMin, int depthMax) {
            return new Settings(lateral, depthMin, depthMax, psfLateral, psfDepth, psfPool, photonsMin, photonsMax, readMin, readMax);
        }

        public Settings withPsf(int lateral, int depth, int pool) {
            return new Settings(this.lateral, depthMin, depthMax, lateral, depth, pool, photonsMin, photonsMax, readMin, readMax);
        }

        public Settings withNoise(double photonsMin, double photonsMax, double readMin, double readMax) {
            return new Settings(lateral, depthMin, depthMax, psfLateral, psfDepth, psfPool, photonsMin, photonsMax, readMin, readMax);
        }

        /** For the card and the checkpoint's identity. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("generator", "VolumePhantomGenerator MIXTURE at the PSF's voxel size, generated at the operator's domain size");
            m.put("fieldOfView", lateral + "x" + lateral + "x" + depthMin + (depthMax > depthMin ? "-" + depthMax : ""));
            m.put("psfSize", psfLateral + "x" + psfLateral + "x" + psfDepth);
            m.put("psfPool", psfPool);
            m.put("psfs", "Born & Wolf or Gibson-Lanni (half each); immersion oil 1.518 (NA 0.8-1.45), water 1.333 (NA 0.8-1.2) or air (NA 0.8-0.95); "
                    + "wavelength 450-650 nm; voxel 0.065-0.16 um lateral, 0.15-0.5 um axial; a third of the Gibson-Lanni PSFs with a sample "
                    + "index mismatch (water in oil, 1.36-1.45 in water, water under air) 2-10 um deep; computed on twice the depth, cropped "
                    + "around the brightest plane, unit sum");
            m.put("boundary", "extended (domain = field + PSF - 1 per axis); loss over the domain, validation PSNR over the field");
            m.put("scale", "y and the truth scaled so y's 99.8th percentile is 1 (Normalization.toUnitPercentile's scale)");
            m.put("noise", String.format(Locale.ROOT, "Poisson with %s-%s photons (log-uniform) at that percentile plus Gaussian read noise "
                    + "%s-%s e-, in normalised units; sigma given to the model: NoiseLevel.volume (median over planes), as at inference",
                    num(photonsMin), num(photonsMax), num(readMin), num(readMax)));
            return m;
        }

        private static String num(double v) {
            return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
        }
    }

    /** One PSF of the pool with the voxel size it was computed at. */
    record Optics(Volume psf, double voxelXY, double voxelZ, String description) {}

    private final NDManager manager;
    private final Settings settings;
    private final List<Optics> pool = new ArrayList<>();
    private final VolumePhantomGenerator phantoms = new VolumePhantomGenerator(VolumePhantomGenerator.Kind.MIXTURE);

    public VolumeProblemFactory(NDManager manager, Settings settings, long seed) {
        this.manager = manager;
        this.settings = settings;
        SplittableRandom r = new SplittableRandom(seed ^ 0x3D_0057_F00DL);
        for (int i = 0; i < settings.psfPool(); i++) pool.add(optics(r.split(), settings));
    }

    public Settings settings() { return settings; }

    List<Optics> pool() { return pool; }

    /** The field depth of global step {@code step}'s batch (shared by its problems). */
    int depth(SplittableRandom r) {
        return settings.depthMin() + r.nextInt(settings.depthMax() - settings.depthMin() + 1);
    }

    /** A batch of {@code n} problems, all from {@code r}. */
    public List<ReconstructionProblem> batch(int n, SplittableRandom r) {
        int depth = depth(r);
        List<ReconstructionProblem> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(make(depth, r));
        return out;
    }

    /** One problem of field depth {@code depth}; PSF, phantom and noise drawn from {@code r}. */
    public ReconstructionProblem make(int depth, SplittableRandom r) {
        Optics o = pool.get(r.nextInt(pool.size()));
        int w = settings.lateral(), h = settings.lateral();
        VolumeConvolution a = VolumeConvolution.create(manager, o.psf(), o.description(), w, h, depth, Boundary.EXTENDED);
        try {
            ai.djl.ndarray.types.Shape dom = a.domainShape();
            Volume phantom = phantoms.generate((int) dom.get(2), (int) dom.get(1), (int) dom.get(0), o.voxelXY(), o.voxelZ(), r.nextLong());
            float[] y;
            try (NDArray x0 = Tensors.owned(manager.create(phantom.data(), dom)); NDArray b = a.apply(x0)) {
                y = b.toType(DataType.FLOAT32, false).toFloatArray();
            }
            double p = Stats.percentile(new float[][] {y}, 99.8);
            if (!(p > 0) || !Double.isFinite(p)) p = 1;
            float inv = (float) (1 / p);
            float[] truth = phantom.data().clone();
            for (int i = 0; i < truth.length; i++) truth[i] *= inv;
            double photons = settings.photonsMin() * Math.pow(settings.photonsMax() / settings.photonsMin(), r.nextDouble());
            double read = settings.readMin() + (settings.readMax() - settings.readMin()) * r.nextDouble();
            double readSigma = read / photons;
            for (int i = 0; i < y.length; i++) {
                double v = Math.max(0, y[i] * inv);
                y[i] = (float) (Noise.poisson(r, v * photons) / photons + readSigma * Noise.gaussian(r));
            }
            List<Plane> planes = new ArrayList<>(depth);
            for (int z = 0; z < depth; z++) {
                float[] d = new float[w * h];
                System.arraycopy(y, z * w * h, d, 0, w * h);
                planes.add(new Plane(w, h, d));
            }
            double sigma = NoiseLevel.volume(planes);
            NDArray x = Tensors.owned(manager.create(truth, dom));
            NDArray ym = Tensors.owned(manager.create(y, a.rangeShape()));
            return new ReconstructionProblem(x, a, ym, sigma, String.format(Locale.ROOT, "%s, field %dx%dx%d, %.0f photons, read %.2f e-, sigma %.4f",
                    o.description(), w, h, depth, photons, read, sigma), true);
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
    }

    /** One PSF: optics drawn from {@code r}, computed on twice the kept depth and cropped around its brightest plane. */
    static Optics optics(SplittableRandom r, Settings s) {
        return optics(r, s.psfLateral(), s.psfDepth());
    }

    /** As above for a PSF of {@code psfLateral}² × {@code psfDepth} voxels (the 3D denoiser's patches use it too). */
    static Optics optics(SplittableRandom r, int psfLateral, int psfDepth) {
        double dx = 0.065 + (0.16 - 0.065) * r.nextDouble(), dz = 0.15 + (0.5 - 0.15) * r.nextDouble();
        double lambda = 450 + 200 * r.nextDouble();
        int medium = r.nextInt(3); // 0 oil, 1 water, 2 air
        double ni = medium == 0 ? 1.518 : medium == 1 ? 1.333 : 1.0;
        double naMax = medium == 0 ? 1.45 : medium == 1 ? 1.2 : 0.95;
        double na = 0.8 + (naMax - 0.8) * r.nextDouble();
        boolean gl = r.nextBoolean();
        boolean mismatch = gl && r.nextInt(3) == 0;
        int slices = 2 * psfDepth + 1;
        Volume full;
        String what;
        String immersion = medium == 0 ? "oil" : medium == 1 ? "water" : "air";
        if (!gl) {
            full = PsfGenerator.bornWolfVolume(na, lambda, dx * 1000, ni, dz * 1000, slices, psfLateral);
            what = String.format(Locale.ROOT, "bornwolf NA %.2f %s, %.0f nm, voxel %.3fx%.3f um", na, immersion, lambda, dx, dz);
        } else {
            GibsonLanni.Params p = GibsonLanni.Params.of(na, lambda, dx * 1000, dz * 1000, slices).withSize(psfLateral)
                    .withImmersion(ni, ni);
            double ns = ni, depthUm = 0;
            if (mismatch) {
                ns = medium == 0 ? 1.333 : medium == 1 ? 1.36 + 0.09 * r.nextDouble() : 1.333;
                depthUm = 2 + 8 * r.nextDouble();
            }
            p = p.withSample(ns, depthUm * 1000);
            full = GibsonLanni.volume(p);
            what = String.format(Locale.ROOT, "gibsonlanni NA %.2f %s, %.0f nm, voxel %.3fx%.3f um%s", na, immersion, lambda, dx, dz,
                    mismatch ? String.format(Locale.ROOT, ", sample %.3f at %.1f um", ns, depthUm) : "");
        }
        return new Optics(cropAroundPeak(full, psfDepth), dx, dz, what);
    }

    /** {@code depth} planes around the plane with the brightest voxel (clamped to the stack), renormalised to unit sum. */
    static Volume cropAroundPeak(Volume v, int depth) {
        int best = 0;
        double bestSum = -1;
        for (int z = 0; z < v.depth(); z++) {
            double sum = 0;
            for (float f : v.plane(z).data()) sum = Math.max(sum, f);
            if (sum > bestSum) {
                bestSum = sum;
                best = z;
            }
        }
        int z0 = Math.max(0, Math.min(v.depth() - depth, best - depth / 2));
        int n = v.width() * v.height();
        float[] d = new float[n * depth];
        System.arraycopy(v.data(), z0 * n, d, 0, n * depth);
        double sum = 0;
        for (float f : d) sum += f;
        for (int i = 0; i < d.length; i++) d[i] /= (float) sum;
        return new Volume(v.width(), v.height(), depth, d);
    }
}
