package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.image.Stats;
import io.equilibria.image.Volume;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Noise;
import io.equilibria.physics.VolumeConvolution;
import io.equilibria.priors.Denoiser;
import io.equilibria.priors.NoiseLevel;
import io.equilibria.train.data.VolumePhantomGenerator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training and validation volumes for a 3D denoiser ({@code train denoiser --3d}), deterministic for (seed, step):
 * <ul>
 *   <li>clean volume: a {@link VolumePhantomGenerator} phantom of a random kind (filaments, beads and vesicles, cells,
 *       membranes, or a mixture) at the voxel size of a PSF drawn from a pool built once per seed (the pool of
 *       {@code train deq --3d}: Born &amp; Wolf or Gibson–Lanni, voxel 0.065–0.16 × 0.15–0.5 µm), generated at the
 *       patch plus the PSF's size less one in each axis;</li>
 *   <li>with probability {@link Settings#blurFraction} the patch is that phantom blurred by the PSF (the valid part of
 *       the convolution, {@link VolumeConvolution} with the extended boundary), otherwise the sharp phantom's centre:
 *       a DEQ prior sees iterates between the blurred stack it starts from and the deconvolved volume it ends at;</li>
 *   <li>scale: both versions are divided by the blurred volume's 99.8th percentile, the scale the learned methods give
 *       a user's stack ({@code Normalization.toUnitPercentile}) and the one {@link VolumeProblemFactory} gives the DEQ's
 *       truth, so a blurred patch has a unit 99.8th percentile and a sharp one the peaks the DEQ's volumes have;</li>
 *   <li>noise: Gaussian, σ drawn in [0, σmax] per patch ({@link TrainingNoise.Distribution}); the noise map gets σ.
 *       The 3D DEQ gives its prior s·σ̂ with σ̂ the stack's estimated level (0.01–0.05 on its validation volumes,
 *       up to ~0.2 at its fewest photons) and s ≈ 0.7–1, hence σmax = 0.2 by default.</li>
 * </ul>
 * The blur runs on the engine (one FFT convolution per PSF of the pool, built once); the rest is Java.
 */
public final class VolumePatches implements AutoCloseable {
    /** Validation volume i is drawn from {@code new SplittableRandom(VALIDATION_SEED + i)}, its PSF from a pool built from this seed. */
    public static final long VALIDATION_SEED = 0x3DD0_0000_0000L;

    /** The kinds a patch is drawn from, uniformly. */
    static final VolumePhantomGenerator.Kind[] KINDS = VolumePhantomGenerator.Kind.values();

    /**
     * @param lateral           patch side in x and y (voxels)
     * @param depth             patch depth in z (slices)
     * @param psfLateral        odd lateral PSF size
     * @param psfDepth          odd axial PSF size
     * @param psfPool           PSFs built per seed
     * @param blurFraction      share of patches blurred by their PSF
     * @param validationVolumes fixed validation volumes (each at the patch size)
     */
    public record Settings(int lateral, int depth, int psfLateral, int psfDepth, int psfPool, double blurFraction,
                           int validationVolumes) {
        public static final Settings DEFAULT = new Settings(32, 24, 15, 15, 24, 0.5, 4);

        public Settings {
            if (lateral < 8 || depth < 4) throw new IllegalArgumentException("3D patches must be at least 8x8x4 voxels, got " + lateral + "x" + depth);
            if (psfLateral % 2 == 0 || psfDepth % 2 == 0 || psfLateral < 3 || psfDepth < 3)
                throw new IllegalArgumentException("PSF sizes must be odd and >= 3, got " + psfLateral + "x" + psfDepth);
            if (psfPool < 1) throw new IllegalArgumentException("PSF pool must be >= 1");
            if (!(blurFraction >= 0 && blurFraction <= 1)) throw new IllegalArgumentException("blur fraction must be in [0, 1], got " + blurFraction);
            if (validationVolumes < 1) throw new IllegalArgumentException("validation volumes must be >= 1");
        }

        public Settings withPatch(int lateral, int depth) {
            return new Settings(lateral, depth, psfLateral, psfDepth, psfPool, blurFraction, validationVolumes);
        }

        public Settings withPsf(int lateral, int depth, int pool) {
            return new Settings(this.lateral, this.depth, lateral, depth, pool, blurFraction, validationVolumes);
        }

        public Settings withBlurFraction(double f) {
            return new Settings(lateral, depth, psfLateral, psfDepth, psfPool, f, validationVolumes);
        }

        public Settings withValidationVolumes(int n) {
            return new Settings(lateral, depth, psfLateral, psfDepth, psfPool, blurFraction, n);
        }

        /** For the card and the checkpoint's identity. */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("generator", "VolumePhantomGenerator, kind uniform among filaments, beads, cells, membranes, mixture; at the PSF's voxel size");
            m.put("patch", lateral + "x" + lateral + "x" + depth);
            m.put("psfSize", psfLateral + "x" + psfLateral + "x" + psfDepth);
            m.put("psfPool", psfPool);
            m.put("psfs", "the pool of train deq --3d: Born & Wolf or Gibson-Lanni; oil, water or air; wavelength 450-650 nm; voxel "
                    + "0.065-0.16 um lateral, 0.15-0.5 um axial; a third of the Gibson-Lanni PSFs with a sample index mismatch");
            m.put("blurFraction", blurFraction);
            m.put("blur", "with that probability the patch is the phantom blurred by its PSF (valid part of the convolution), "
                    + "otherwise the sharp phantom");
            m.put("scale", "divided by the blurred volume's 99.8th percentile (the learned methods' scale of a stack), blurred or not");
            m.put("validationVolumes", validationVolumes);
            m.put("validationSeeds", "volume i from SplittableRandom(" + VALIDATION_SEED + " + i), of kind i mod 5 (filaments, beads, "
                    + "cells, membranes, mixture), blurred for odd i; PSF pool of " + validationPool() + " from seed " + VALIDATION_SEED);
            return m;
        }

        int validationPool() {
            return Math.min(psfPool, validationVolumes);
        }
    }

    /** One clean volume (Z, Y, X) with how it was made. */
    record Clean(float[] data, String description) {}

    private final Settings settings;
    private final double sigmaMax;
    private final TrainingNoise.Distribution distribution;
    private final NDManager manager;
    private final List<VolumeProblemFactory.Optics> pool = new ArrayList<>();
    private final List<VolumeConvolution> blurs = new ArrayList<>();

    /**
     * @param seed the pool's seed (the training seed, or {@link #VALIDATION_SEED} for validation volumes)
     * @param pool how many PSFs to build
     */
    VolumePatches(NDManager manager, Settings settings, double sigmaMax, TrainingNoise.Distribution distribution, long seed, int pool) {
        if (!(sigmaMax > 0 && sigmaMax <= 1)) throw new IllegalArgumentException("sigma-max must be in (0, 1], got " + sigmaMax);
        this.settings = settings;
        this.sigmaMax = sigmaMax;
        this.distribution = distribution;
        this.manager = manager.newSubManager();
        SplittableRandom r = new SplittableRandom(seed ^ 0x3D_DE_0157L);
        for (int i = 0; i < pool; i++) {
            VolumeProblemFactory.Optics o = VolumeProblemFactory.optics(r.split(), settings.psfLateral(), settings.psfDepth());
            this.pool.add(o);
            blurs.add(VolumeConvolution.create(this.manager, o.psf(), o.description(), settings.lateral(), settings.lateral(),
                    settings.depth(), Boundary.EXTENDED));
        }
    }

    /** The training patches of seed {@code seed}: a pool of {@link Settings#psfPool} PSFs. */
    static VolumePatches training(NDManager manager, Settings s, TrainingNoise noise, long seed) {
        return new VolumePatches(manager, s, noise.sigmaMax(), noise.distribution(), seed, s.psfPool());
    }

    /** The validation volumes' source: a small pool from {@link #VALIDATION_SEED}. */
    static VolumePatches validation(NDManager manager, Settings s, TrainingNoise noise) {
        return new VolumePatches(manager, s, noise.sigmaMax(), noise.distribution(), VALIDATION_SEED, s.validationPool());
    }

    Settings settings() { return settings; }

    /** (Z, Y, X) of a patch. */
    Shape patchShape() {
        return new Shape(settings.depth(), settings.lateral(), settings.lateral());
    }

    /** One clean patch, everything drawn from {@code r}. */
    Clean clean(SplittableRandom r) {
        return clean(r, -1);
    }

    /**
     * As above; {@code fixed} ≥ 0 fixes the kind to {@code KINDS[fixed % 5]} and blurs odd ones (the validation set
     * covers every kind, sharp and blurred, rather than what four draws happen to give).
     */
    Clean clean(SplittableRandom r, int fixed) {
        int k = r.nextInt(pool.size());
        VolumeProblemFactory.Optics o = pool.get(k);
        VolumePhantomGenerator.Kind kind = KINDS[r.nextInt(KINDS.length)];
        boolean blurred = r.nextDouble() < settings.blurFraction();
        if (fixed >= 0) {
            kind = KINDS[fixed % KINDS.length];
            blurred = fixed % 2 == 1;
        }
        VolumeConvolution a = blurs.get(k);
        Shape dom = a.domainShape();
        int dz = (int) dom.get(0), dy = (int) dom.get(1), dx = (int) dom.get(2);
        Volume phantom = new VolumePhantomGenerator(kind).generate(dx, dy, dz, o.voxelXY(), o.voxelZ(), r.nextLong());
        float[] b;
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = Tensors.owned(sub.create(phantom.data(), dom));
            b = Autograd.noGrad(() -> a.apply(x).toType(DataType.FLOAT32, false).toFloatArray());
        }
        int d = settings.depth(), n = settings.lateral();
        float[] clean = blurred ? b : new float[d * n * n];
        if (!blurred) { // the sharp phantom's voxels that the blurred field's voxels are centred on
            int oz = settings.psfDepth() / 2, oy = settings.psfLateral() / 2, ox = oy;
            for (int z = 0; z < d; z++) {
                for (int y = 0; y < n; y++) {
                    System.arraycopy(phantom.data(), ((z + oz) * dy + y + oy) * dx + ox, clean, (z * n + y) * n, n);
                }
            }
        }
        double p = Stats.percentile(new float[][] {b}, 99.8);
        if (!(p > 0) || !Double.isFinite(p)) p = 1;
        float inv = (float) (1 / p);
        for (int i = 0; i < clean.length; i++) clean[i] *= inv;
        return new Clean(clean, String.format(Locale.ROOT, "%s %s, %s", kind.name().toLowerCase(Locale.ROOT),
                blurred ? "blurred" : "sharp", o.description()));
    }

    /** A training batch of {@code count} noisy/clean patches, all drawn from {@code r}. */
    DenoiserTrainer.Batch batch(int count, SplittableRandom r) {
        int n = (int) patchShape().size();
        float[] noisy = new float[count * n], clean = new float[count * n], sigma = new float[count];
        for (int i = 0; i < count; i++) {
            float[] c = clean(r).data();
            double s = distribution.draw(sigmaMax, r);
            System.arraycopy(c, 0, clean, i * n, n);
            for (int k = 0; k < n; k++) noisy[i * n + k] = (float) (c[k] + s * Noise.gaussian(r));
            sigma[i] = (float) s;
        }
        Shape p = patchShape();
        return new DenoiserTrainer.Batch(noisy, clean, sigma, count, settings.lateral(), new Shape(count, 1, p.get(0), p.get(1), p.get(2)));
    }

    // ---- validation -------------------------------------------------------------------------------------------

    /** The fixed validation volumes and their noisy versions per level. */
    record Validation(List<Clean> clean, double[] levels, List<List<float[]>> noisy, Shape shape) {}

    /**
     * Volume i from {@code SplittableRandom(VALIDATION_SEED + i)}, of kind i mod 5 and blurred for odd i; noise at level
     * l from {@code VALIDATION_SEED + 1000 (l + 1) + i}.
     */
    Validation validationSet() {
        double[] levels = sigmaMax / 4 > 0.03 ? new double[] {0.01, sigmaMax / 4, sigmaMax / 2, sigmaMax}
                : new double[] {sigmaMax / 4, sigmaMax / 2, sigmaMax};
        List<Clean> clean = new ArrayList<>();
        for (int i = 0; i < settings.validationVolumes(); i++) clean.add(clean(new SplittableRandom(VALIDATION_SEED + i), i));
        List<List<float[]>> noisy = new ArrayList<>();
        for (int l = 0; l < levels.length; l++) {
            List<float[]> level = new ArrayList<>();
            for (int i = 0; i < clean.size(); i++) {
                SplittableRandom r = new SplittableRandom(VALIDATION_SEED + 1000L * (l + 1) + i);
                float[] in = clean.get(i).data(), out = new float[in.length];
                for (int k = 0; k < in.length; k++) out[k] = (float) (in[k] + levels[l] * Noise.gaussian(r));
                level.add(out);
            }
            noisy.add(level);
        }
        return new Validation(clean, levels, noisy, patchShape());
    }

    /**
     * PSNR (data range 1: the blurred volume's 99.8th percentile) of the denoised validation volumes at each level with
     * the true σ, of the noisy input, and at σmax/2 with σ estimated as the 3D DEQ does ({@link NoiseLevel#volume}).
     */
    static Map<String, Object> validate(Denoiser net, Validation v, NDManager manager) {
        Map<String, Object> psnr = new LinkedHashMap<>(), noisyPsnr = new LinkedHashMap<>(), blind = new LinkedHashMap<>();
        double gain = 0;
        int n = v.clean().size();
        for (int l = 0; l < v.levels().length; l++) {
            String key = String.format(Locale.ROOT, "sigma=%.4g", v.levels()[l]);
            float[] sig = new float[n];
            java.util.Arrays.fill(sig, (float) v.levels()[l]);
            List<float[]> out = denoise(net, v.noisy().get(l), sig, v.shape(), manager);
            double p = meanPsnr(v.clean(), out), q = meanPsnr(v.clean(), v.noisy().get(l));
            psnr.put(key, r3(p));
            noisyPsnr.put(key, r3(q));
            gain += p - q;
            if (l == v.levels().length - 2) {
                float[] est = new float[n];
                double mean = 0;
                for (int i = 0; i < n; i++) {
                    est[i] = (float) NoiseLevel.volume(planes(v.noisy().get(l).get(i), v.shape()));
                    mean += est[i] / n;
                }
                blind.put(key, r3(meanPsnr(v.clean(), denoise(net, v.noisy().get(l), est, v.shape(), manager))));
                blind.put("estimatedSigmaMean", r3(mean));
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", "PSNR in dB, data range 1 (the blurred volume's 99.8th percentile); mean over volumes; additive Gaussian noise");
        m.put("volumes", v.clean().stream().map(Clean::description).toList());
        m.put("size", v.shape().get(2) + "x" + v.shape().get(1) + "x" + v.shape().get(0));
        m.put("psnr", psnr);
        m.put("noisyPsnr", noisyPsnr);
        m.put("meanGainDb", r3(gain / v.levels().length));
        m.put("blindPsnr", blind);
        return m;
    }

    private static List<float[]> denoise(Denoiser net, List<float[]> noisy, float[] sigma, Shape shape, NDManager manager) {
        int n = (int) shape.size();
        float[] all = new float[noisy.size() * n];
        for (int i = 0; i < noisy.size(); i++) System.arraycopy(noisy.get(i), 0, all, i * n, n);
        List<float[]> out = new ArrayList<>();
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = Tensors.owned(sub.create(all, new Shape(noisy.size(), 1, shape.get(0), shape.get(1), shape.get(2))));
            float[] d = Autograd.noGrad(() -> net.denoise(x, Tensors.owned(sub.create(sigma))).toFloatArray());
            for (int i = 0; i < noisy.size(); i++) {
                float[] p = new float[n];
                System.arraycopy(d, i * n, p, 0, n);
                out.add(p);
            }
        }
        return out;
    }

    private static List<Plane> planes(float[] v, Shape shape) {
        int d = (int) shape.get(0), h = (int) shape.get(1), w = (int) shape.get(2);
        List<Plane> planes = new ArrayList<>(d);
        for (int z = 0; z < d; z++) {
            float[] p = new float[w * h];
            System.arraycopy(v, z * w * h, p, 0, w * h);
            planes.add(new Plane(w, h, p));
        }
        return planes;
    }

    private static double meanPsnr(List<Clean> ref, List<float[]> test) {
        double s = 0;
        for (int i = 0; i < ref.size(); i++) {
            float[] a = ref.get(i).data(), b = test.get(i);
            double mse = 0;
            for (int k = 0; k < a.length; k++) {
                double e = a[k] - b[k];
                mse += e * e;
            }
            s += 10 * Math.log10(1 / Math.max(mse / a.length, 1e-20));
        }
        return s / ref.size();
    }

    private static double r3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    @Override
    public void close() {
        manager.close();
    }
}
