package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.compute.Tensors;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.models.ModelCard;
import io.equilibria.physics.Noise;
import io.equilibria.priors.Denoiser;
import io.equilibria.priors.DenoiserConfig;
import io.equilibria.priors.DnCnn;
import io.equilibria.priors.NoiseLevel;
import io.equilibria.priors.TrainableDenoiser;
import io.equilibria.train.data.PatchSampler;
import io.equilibria.train.loop.AdamOptimizer;
import io.equilibria.train.loop.CheckpointListener;
import io.equilibria.train.loop.Epoch;
import io.equilibria.train.loop.HistoryListener;
import io.equilibria.train.loop.OptimizerConfig;
import io.equilibria.train.loop.ScheduleConfig;
import io.equilibria.train.loop.TrainingListener;
import io.equilibria.train.loop.TrainingLoop;
import io.equilibria.train.loop.TrainingStep;
import io.equilibria.train.loop.ValidationListener;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Trains a denoiser ({@link DnCnn}, UNet) on clean patches ({@link TrainingData}) made noisy by
 * {@link TrainingNoise}, minimising the mean squared error of D(noisy, σ) against the clean patch with
 * {@link AdamOptimizer} and the configured learning-rate schedule, in the shared {@link TrainingLoop}.
 *
 * <p><b>Determinism.</b> Weights start from the config's seed (Java RNG), and every batch — patches, augmentation,
 * noise — is a pure function of (seed, global step), so the same seed gives the same weights on the CPU, and a run
 * resumed from a checkpoint continues exactly as if it had not stopped ({@link CheckpointListener}). The next batch
 * is built on a helper thread while the engine computes the current step.
 *
 * <p><b>Validation.</b> {@link TrainingData}'s fixed set. Each epoch reports the PSNR (data range 1) of the denoised
 * images at σ = ¼, ½ and 1 × σmax with the true σ, the noisy input's PSNR, and at ½ σmax the PSNR with σ estimated
 * by {@link NoiseLevel} (blind use).
 */
public final class DenoiserTrainer {
    /** Consecutive steps with a non-finite loss or gradient after which training stops (the weights are never updated by one). */
    static final int MAX_SKIPPED_IN_A_ROW = 10;

    /**
     * @param net       network hyper-parameters (its seed is the training seed)
     * @param noise     the noise patches get; its σmax is at most 1
     * @param seed      the seed of everything
     * @param volumes   3D: the volume patches ({@link VolumePatches}) for a volumetric network, else null (2D patches)
     */
    public record Config(DenoiserConfig net, DataConfig data, ScheduleConfig schedule, OptimizerConfig optimizer,
                         TrainingNoise noise, long seed, VolumePatches.Settings volumes) {
        public static final DataConfig DEFAULT_DATA = new DataConfig(64, 16, null, DataConfig.DEFAULT_PHANTOM_FRACTION,
                DataConfig.DEFAULT_EXCLUDE, DataConfig.DEFAULT_VALIDATION_FRACTION, 8, DataConfig.DEFAULT_VALIDATION_SIZE);
        public static final ScheduleConfig DEFAULT_SCHEDULE = new ScheduleConfig(10, 500);
        public static final OptimizerConfig DEFAULT_OPTIMIZER = new OptimizerConfig(1e-3, OptimizerConfig.COSINE);
        public static final TrainingNoise DEFAULT_NOISE = new TrainingNoise(0.1, 0.3);
        public static final long DEFAULT_SEED = 42;
        /** 3D: batch 4 (the patch side here is unused: {@link VolumePatches.Settings} sizes the volumes). */
        public static final DataConfig DEFAULT_VOLUME_DATA = new DataConfig(32, 4, null, DataConfig.DEFAULT_PHANTOM_FRACTION,
                DataConfig.DEFAULT_EXCLUDE, DataConfig.DEFAULT_VALIDATION_FRACTION, 4, DataConfig.DEFAULT_VALIDATION_SIZE);
        /** 3D: Gaussian σ uniform in [0, 0.2] (what the 3D DEQ's prior sees, see {@link VolumePatches}). */
        public static final TrainingNoise DEFAULT_VOLUME_NOISE = new TrainingNoise(0.2, 0);

        public Config {
            if (!(noise.sigmaMax() <= 1)) throw new IllegalArgumentException("sigma-max must be in (0, 1], got " + noise.sigmaMax());
            if (net.volumetric() != (volumes != null)) {
                throw new IllegalArgumentException(net.volumetric() ? "a 3D network (" + net.type() + ") trains on volumes"
                        : "volume patches need a 3D network, got " + net.type());
            }
            if (volumes != null && noise.cameraFraction() > 0) throw new IllegalArgumentException("3D patches get Gaussian noise only (camera fraction 0)");
            net = net.withSeed(seed);
        }

        /** 2D patches. */
        public Config(DenoiserConfig net, DataConfig data, ScheduleConfig schedule, OptimizerConfig optimizer, TrainingNoise noise, long seed) {
            this(net, data, schedule, optimizer, noise, seed, null);
        }

        /** True for a 3D network trained on volume patches. */
        public boolean volume() { return volumes != null; }

        /** 3D defaults: the 8 x 16 {@link io.equilibria.priors.DnCnn3d}, batch 4 of {@link VolumePatches.Settings#DEFAULT}, σmax 0.2. */
        public static Config volumeDefaults() {
            return new Config(io.equilibria.priors.DnCnn3d.Config.defaults(), DEFAULT_VOLUME_DATA, DEFAULT_SCHEDULE, DEFAULT_OPTIMIZER,
                    DEFAULT_VOLUME_NOISE, DEFAULT_SEED, VolumePatches.Settings.DEFAULT);
        }

        /** 8×32 DnCNN, 64 px patches, batch 16, 10 × 500 steps, lr 1e-3 cosine, σmax 0.1, 30% camera noise, phantoms only. */
        public static Config defaults() {
            return new Config(DnCnn.Config.defaults(), DEFAULT_DATA, DEFAULT_SCHEDULE, DEFAULT_OPTIMIZER, DEFAULT_NOISE, DEFAULT_SEED);
        }

        /** What must match for a checkpoint to be resumed (everything but the number of epochs). */
        Map<String, Object> identity() {
            Map<String, Object> m = new LinkedHashMap<>(settings());
            m.remove("epochs");
            m.remove("totalSteps");
            return m;
        }

        public Map<String, Object> settings() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("patch", data.patch());
            m.put("batch", data.batch());
            m.put("epochs", schedule.epochs());
            m.put("stepsPerEpoch", schedule.stepsPerEpoch());
            m.put("totalSteps", schedule.totalSteps());
            m.put("optimizer", OptimizerConfig.ADAM);
            m.put("learningRate", optimizer.learningRate());
            m.put("schedule", optimizer.schedule());
            m.put("loss", "mean squared error of D(noisy, sigma) against the clean patch");
            m.put("sigmaMax", noise.sigmaMax());
            m.put("cameraFraction", noise.cameraFraction());
            if (noise.distribution() != TrainingNoise.Distribution.UNIFORM) m.put("sigmaDistribution", noise.distribution().name().toLowerCase(Locale.ROOT));
            m.putAll(data.sourceSettings());
            m.put("validationFraction", data.validationFraction());
            m.put("validationImages", data.validationImages());
            m.put("validationSize", data.validationSize());
            m.put("seed", seed);
            m.put("architecture", net.toMap());
            if (volume()) {
                // the 2D data's entries do not describe what a 3D run draws
                for (String k : List.of("patch", "cameraFraction", "data", "phantomFraction", "exclude", "validationFraction",
                        "validationImages", "validationSize")) m.remove(k);
                m.put("volume", volumes.toMap());
            }
            return m;
        }
    }

    /** Progress callbacks (all optional). */
    public interface Listener {
        default void message(String text) {}

        default void step(int epoch, int step, int stepsPerEpoch, double loss, double learningRate) {}

        default void epoch(Map<String, Object> summary) {}
    }

    /** The trained network (on the caller's manager), the per-epoch history and the final validation. */
    public record Result(TrainableDenoiser net, Config config, List<Map<String, Object>> history, Map<String, Object> validation,
                         List<Map<String, Object>> dataSources, double seconds) {}

    private DenoiserTrainer() {}

    // ---- data -------------------------------------------------------------------------------------------------

    /** @param shape the batch's shape: (count, 1, side, side) for images, (count, 1, Z, Y, X) for volumes */
    record Batch(float[] noisy, float[] clean, float[] sigma, int count, int side, Shape shape) {
        Batch(float[] noisy, float[] clean, float[] sigma, int count, int side) {
            this(noisy, clean, sigma, count, side, new Shape(count, 1, side, side));
        }
    }

    /** The clean validation images and their noisy versions at each level. */
    record Validation(List<String> sources, List<Plane> clean, double[] levels, List<List<Plane>> noisy) {}

    static Validation validation(TrainingData data, double sigmaMax, int size) {
        // with a large σmax also the weak noise a deconvolution prior mostly works at
        double[] levels = sigmaMax / 4 > 0.03 ? new double[] {0.01, sigmaMax / 4, sigmaMax / 2, sigmaMax}
                : new double[] {sigmaMax / 4, sigmaMax / 2, sigmaMax};
        List<Plane> clean = data.validation();
        List<List<Plane>> noisy = new ArrayList<>();
        for (int l = 0; l < levels.length; l++) {
            List<Plane> level = new ArrayList<>();
            for (int i = 0; i < clean.size(); i++) {
                SplittableRandom r = new SplittableRandom(TrainingData.VALIDATION_SEED + 1000L * (l + 1) + i);
                float[] in = clean.get(i).data(), out = new float[in.length];
                for (int k = 0; k < in.length; k++) out[k] = (float) (in[k] + levels[l] * Noise.gaussian(r));
                level.add(new Plane(size, size, out));
            }
            noisy.add(level);
        }
        return new Validation(data.validationSources(), clean, levels, noisy);
    }

    /** The batch of global step {@code step}: a pure function of (config, step). */
    static Batch batch(Config c, PatchSampler sampler, TrainingNoise noise, long step) {
        int side = c.data().patch(), count = c.data().batch();
        List<PatchSampler.Patch> patches = TrainingData.patches(sampler, c.data(), c.seed(), step);
        SplittableRandom r = TrainingData.random(c.seed(), step);
        int n = side * side;
        float[] noisy = new float[count * n], clean = new float[count * n], sigma = new float[count];
        for (int i = 0; i < patches.size(); i++) {
            Plane p = patches.get(i).plane();
            TrainingNoise.Noisy z = noise.apply(p, r);
            System.arraycopy(p.data(), 0, clean, i * n, n);
            System.arraycopy(z.image().data(), 0, noisy, i * n, n);
            sigma[i] = (float) z.sigma();
        }
        return new Batch(noisy, clean, sigma, count, side);
    }

    // ---- training ---------------------------------------------------------------------------------------------

    /**
     * Trains as configured. With {@code checkpointDir}, state is saved there after every epoch; with
     * {@code resume} a checkpoint found there is continued (it must have been made with the same settings but the
     * number of epochs).
     */
    public static Result train(NDManager manager, Config c, Path checkpointDir, boolean resume, Listener listener) {
        HistoryListener history = new HistoryListener();
        boolean vol = c.volume();
        TrainingData data = vol ? null : TrainingData.prepare(c.data(), listener::message);
        Validation validation = vol ? null : validation(data, c.noise().sigmaMax(), c.data().validationSize());
        if (vol) listener.message("building " + (c.volumes().psfPool() + c.volumes().validationPool()) + " 3D PSFs (training and validation pools)");
        VolumePatches volumes = vol ? VolumePatches.training(manager, c.volumes(), c.noise(), c.seed()) : null;
        VolumePatches.Validation volumeValidation;
        if (vol) {
            try (VolumePatches v = VolumePatches.validation(manager, c.volumes(), c.noise())) {
                volumeValidation = v.validationSet();
            }
            for (int i = 0; i < volumeValidation.clean().size(); i++) {
                listener.message("validation volume " + i + ": " + volumeValidation.clean().get(i).description());
            }
        } else {
            volumeValidation = null;
        }
        java.util.function.LongFunction<Batch> batches = vol
                ? step -> volumes.batch(c.data().batch(), TrainingData.random(c.seed(), step))
                : step -> batch(c, data.sampler(), c.noise(), step);
        TrainableDenoiser net = c.net().build();
        ScheduleConfig schedule = c.schedule();
        AdamOptimizer adam = new AdamOptimizer(manager, c.optimizer().tracker(schedule.totalSteps()));
        try (Steps steps = new Steps(c, batches, net, adam, manager)) {
            CheckpointListener checkpoint = new CheckpointListener(checkpointDir, c.identity(), net, adam, history);
            OptionalInt resumed = checkpoint.resume(resume, net::allocate, manager, listener::message);
            if (resumed.isEmpty()) {
                net.allocate(manager);
                net.prepareForTraining();
            }
            int startEpoch = resumed.orElse(0);
            setTrainable(net, true);
            if (adam.steps() != startEpoch * schedule.stepsPerEpoch()) {
                throw new InputException(checkpointDir, "checkpoint is inconsistent: optimiser at step " + adam.steps()
                        + " after epoch " + startEpoch);
            }
            listener.message(net.describe() + "; " + String.format(Locale.ROOT, "%.0f", net.flopsPerPixel()) + (vol ? " flop/voxel" : " flop/pixel"));
            ValidationListener validate = new ValidationListener(vol ? () -> VolumePatches.validate(net, volumeValidation, manager)
                    : () -> validate(net, validation, manager), history.last("validation"));
            TrainingListener<Loss> progress = new TrainingListener<>() {
                @Override
                public void onStepEnd(StepEnd<? extends Loss> s) {
                    if (s.skipped()) listener.message("epoch " + s.epoch() + " step " + s.step() + ": non-finite loss or gradient, update skipped");
                    else listener.step(s.epoch(), s.step(), s.stepsPerEpoch(), s.outcome().loss(), s.learningRate());
                }

                @Override
                public void onEpochEnd(Epoch e) { listener.epoch(e.summary()); }
            };
            new TrainingLoop<>(new TrainingLoop.Plan(schedule.epochs(), schedule.stepsPerEpoch(), MAX_SKIPPED_IN_A_ROW, true),
                    steps, List.<TrainingListener<? super Loss>>of(validate, history, checkpoint, progress)).run(startEpoch);
            Map<String, Object> last = validate.result();
            setTrainable(net, false);
            return new Result(net, c, history.history(), last, vol ? List.of(c.volumes().toMap()) : data.sources(), history.seconds());
        } finally {
            adam.close();
            if (volumes != null) volumes.close();
        }
    }

    record Loss(double loss) implements TrainingStep.Outcome {}

    /** The denoiser's step: prefetched batches, {@link #trainStep}; the epoch's summary adds the learning rate and the
     *  refinement's diagnostics (spectral norms). */
    private static final class Steps implements TrainingStep<Loss>, AutoCloseable {
        private final Config c;
        private final java.util.function.LongFunction<Batch> batches;
        private final TrainableDenoiser net;
        private final AdamOptimizer adam;
        private final NDManager manager;
        private final ParameterStore ps;
        private final ExecutorService prefetch = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "equilibria-batches");
            t.setDaemon(true);
            return t;
        });
        private Future<Batch> next;
        private Map<String, Object> diagnostics = Map.of();

        Steps(Config c, java.util.function.LongFunction<Batch> batches, TrainableDenoiser net, AdamOptimizer adam, NDManager manager) {
            this.c = c;
            this.batches = batches;
            this.net = net;
            this.adam = adam;
            this.manager = manager;
            this.ps = new ParameterStore(manager, false);
        }

        @Override
        public double learningRate() { return adam.currentLearningRate(); }

        @Override
        public Loss step(long global) {
            Batch b = await(next != null ? next : submit(global));
            next = global + 1 < c.schedule().totalSteps() ? submit(global + 1) : null;
            return new Loss(trainStep(net, ps, adam, b, manager));
        }

        @Override
        public void endEpoch(Epoch e) { diagnostics = net.refine(); }

        @Override
        public void summarise(Epoch e) {
            e.summary().put("learningRate", (double) adam.currentLearningRate());
            e.summary().put("seconds", e.seconds());
            e.summary().putAll(diagnostics);
            e.summary().put("validation", e.validation());
        }

        private Future<Batch> submit(long step) {
            return prefetch.submit(() -> batches.apply(step));
        }

        @Override
        public void close() { prefetch.shutdownNow(); }
    }

    private static Batch await(Future<Batch> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** One optimiser step on one batch; returns the loss before the step, or NaN for a step skipped because its loss or
     *  a gradient was not finite. Memory stays flat: every array of the step lives on a sub-manager and in a scope
     *  closed at its end. */
    static double trainStep(TrainableDenoiser net, ParameterStore ps, AdamOptimizer adam, Batch b, NDManager manager) {
        double loss;
        try (NDManager sub = manager.newSubManager()) {
            Shape shape = b.shape();
            try (NDScope ignored = new NDScope(); GradientCollector gc = Compute.engine().newGradientCollector()) {
                NDArray x = Tensors.owned(sub.create(b.noisy(), shape)), clean = Tensors.owned(sub.create(b.clean(), shape)), s = Tensors.owned(sub.create(b.sigma()));
                NDArray out = net.forward(ps, new NDList(x, s), true).singletonOrThrow();
                NDArray l = out.sub(clean).square().mean();
                gc.backward(l);
                loss = l.getFloat();
            }
            // a non-finite loss or gradient would poison the weights for good: skip the update, the caller counts it
            if (Double.isFinite(loss) && AdamOptimizer.finiteGradients(net.getParameters())) adam.step(net.getParameters());
            else {
                adam.skipStep(net.getParameters());
                return Double.NaN;
            }
        }
        return loss;
    }

    static void setTrainable(ai.djl.nn.Block net, boolean on) {
        for (Pair<String, Parameter> p : net.getParameters()) p.getValue().getArray().setRequiresGradient(on);
    }

    // ---- validation -------------------------------------------------------------------------------------------

    /** PSNRs of the denoiser on the validation set (see the class comment). */
    static Map<String, Object> validate(Denoiser net, Validation v, NDManager manager) {
        Map<String, Object> psnr = new LinkedHashMap<>(), noisyPsnr = new LinkedHashMap<>(), blind = new LinkedHashMap<>();
        Map<String, Map<String, Object>> bySource = new LinkedHashMap<>();
        int n = v.clean().size(), side = v.clean().get(0).width();
        double meanGain = 0;
        for (int l = 0; l < v.levels().length; l++) {
            String key = String.format(Locale.ROOT, "sigma=%.4g", v.levels()[l]);
            float[] sig = new float[n];
            java.util.Arrays.fill(sig, (float) v.levels()[l]);
            List<Plane> out = denoise(net, v.noisy().get(l), sig, manager, side);
            double[] p = psnrs(v.clean(), out), q = psnrs(v.clean(), v.noisy().get(l));
            psnr.put(key, r3(mean(p)));
            noisyPsnr.put(key, r3(mean(q)));
            meanGain += mean(p) - mean(q);
            for (String src : new java.util.TreeSet<>(v.sources())) {
                double s = 0;
                int k = 0;
                for (int i = 0; i < n; i++) if (v.sources().get(i).equals(src)) { s += p[i]; k++; }
                bySource.computeIfAbsent(src, x -> new LinkedHashMap<>()).put(key, r3(s / k));
            }
            if (l == v.levels().length - 2) { // blind at σmax/2: σ from the image
                float[] est = new float[n];
                for (int i = 0; i < n; i++) est[i] = (float) NoiseLevel.estimate(v.noisy().get(l).get(i));
                blind.put(key, r3(mean(psnrs(v.clean(), denoise(net, v.noisy().get(l), est, manager, side)))));
                blind.put("estimatedSigmaMean", r3(mean(toDouble(est))));
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("metric", "PSNR in dB, data range 1 (images in [0, 1]); mean over images; additive Gaussian noise");
        m.put("images", countBy(v.sources()));
        m.put("size", side);
        m.put("psnr", psnr);
        m.put("noisyPsnr", noisyPsnr);
        m.put("meanGainDb", r3(meanGain / v.levels().length));
        m.put("blindPsnr", blind);
        m.put("psnrBySource", bySource);
        return m;
    }

    private static List<Plane> denoise(Denoiser net, List<Plane> noisy, float[] sigma, NDManager manager, int side) {
        List<Plane> out = new ArrayList<>();
        try (NDManager sub = manager.newSubManager()) {
            float[] all = new float[noisy.size() * side * side];
            for (int i = 0; i < noisy.size(); i++) System.arraycopy(noisy.get(i).data(), 0, all, i * side * side, side * side);
            NDArray x = Tensors.owned(sub.create(all, new Shape(noisy.size(), 1, side, side)));
            float[] d = Autograd.noGrad(() -> net.denoise(x, Tensors.owned(sub.create(sigma))).toFloatArray());
            for (int i = 0; i < noisy.size(); i++) {
                float[] p = new float[side * side];
                System.arraycopy(d, i * side * side, p, 0, side * side);
                out.add(new Plane(side, side, p));
            }
        }
        return out;
    }

    private static double[] psnrs(List<Plane> ref, List<Plane> test) {
        double[] p = new double[ref.size()];
        for (int i = 0; i < p.length; i++) p[i] = ImageMetrics.psnr(ref.get(i), test.get(i), 1.0);
        return p;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double d : v) s += d;
        return s / v.length;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double r3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static Map<String, Integer> countBy(List<String> l) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (String s : l) m.merge(s, 1, Integer::sum);
        return m;
    }

    // ---- model card -------------------------------------------------------------------------------------------

    private static Map<String, Object> volumeNoise(Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gaussian", "sigma " + c.noise().distribution().text(0, c.noise().sigmaMax()) + ", every patch");
        m.put("noiseMap", "constant: the sigma");
        return m;
    }

    /** The card for a trained denoiser. */
    public static ModelCard card(String name, Result r, String commandLine) {
        Map<String, Object> settings = new LinkedHashMap<>(r.config().settings());
        settings.remove("architecture");
        settings.put("noise", r.config().volume() ? volumeNoise(r.config()) : r.config().noise().spec());
        ModelCard.Training training = new ModelCard.Training(commandLine, r.dataSources(), r.config().seed(), settings,
                r.history(), Math.round(r.seconds() * 10) / 10.0);
        Map<String, Object> validation = new LinkedHashMap<>(r.validation());
        if (r.net() instanceof io.equilibria.priors.SpectralResidualCnn<?> d) {
            validation.put("residualLipschitzBound", d.residualLipschitzBound());
            validation.put("residualLipschitzFromEstimates", Math.round(d.estimatedResidualLipschitz() * 1e4) / 1e4);
        }
        if (r.net() instanceof io.equilibria.priors.DnCnn3d d) {
            validation.put("prior", "3D CNN: denoises (N, 1, Z, Y, X) volumes, not 2D images; "
                    + String.format(Locale.ROOT, "%.0f", d.macsPerPixel()) + " multiply-adds per voxel");
        }
        return ModelCard.of(name, "denoiser", r.net().describe(), r.net().architecture(), training, validation);
    }
}
