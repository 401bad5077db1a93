package io.equilibria.train;

import io.equilibria.compute.Tensors;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.image.AtomicFiles;
import io.equilibria.errors.InputException;
import io.equilibria.errors.OutputException;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.models.Architectures;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.physics.Noise;
import io.equilibria.priors.DenoiserConfig;
import io.equilibria.priors.Denoiser;
import io.equilibria.priors.DnCnn;
import io.equilibria.priors.TrainableDenoiser;
import io.equilibria.priors.NoiseLevel;
import io.equilibria.errors.NumericalException;
import io.equilibria.train.data.DatasetSplit;
import io.equilibria.train.data.PatchSampler;
import io.equilibria.train.data.PhantomGenerator;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Trains a {@link DnCnn} denoiser on clean patches (phantoms, optionally mixed with natural images) made noisy by
 * {@link TrainingNoise}, minimising the mean squared error of D(noisy, σ) against the clean patch with
 * {@link AdamOptimizer} and a cosine (or step, or constant) learning-rate schedule.
 *
 * <p><b>Determinism.</b> Weights start from the config's seed (Java RNG), and every batch — patches, augmentation,
 * noise — is a pure function of (seed, global step), so the same seed gives the same weights on the CPU, and a run
 * resumed from a checkpoint continues exactly as if it had not stopped (the checkpoint holds the parameters with
 * the spectral-norm power vectors, Adam's moments and step count, and the epoch history). The next batch is built
 * on a helper thread while the engine computes the current step.
 *
 * <p><b>Validation.</b> A fixed set, never trained on: phantoms from seeds {@link #VALIDATION_SEED} + i, which the
 * training stream (64-bit hashed seeds) does not produce, and with a data folder, patches of the files that
 * {@link DatasetSplit} puts on the validation side. Each epoch reports the PSNR (data range 1) of the denoised
 * images at σ = ¼, ½ and 1 × σmax with the true σ, the noisy input's PSNR, and at ½ σmax the PSNR with σ estimated
 * by {@link NoiseLevel} (blind use).
 */
public final class DenoiserTrainer {
    public static final long VALIDATION_SEED = 0x7A11_0000_0000L;
    public static final List<String> DEFAULT_EXCLUDE = List.of("*camera*", "*cell_qpi*");
    private static final String CHECKPOINT = "checkpoint";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param net                network hyper-parameters (its seed is the training seed)
     * @param patch              training patch side
     * @param batch              patches per step
     * @param epochs             epochs
     * @param stepsPerEpoch      optimiser steps per epoch
     * @param learningRate       Adam's initial learning rate
     * @param schedule           {@code cosine} (to 1% at the end), {@code step} (×0.2 at 50% and 75%) or {@code constant}
     * @param sigmaMax           largest noise σ (normalised units)
     * @param cameraFraction     share of patches with Poisson–Gaussian camera noise
     * @param data               folder of natural images, or null for phantoms only
     * @param phantomFraction    with a folder: share of phantom patches
     * @param exclude            file-name globs left out of training and validation (case-insensitive)
     * @param validationFraction share of the folder's files held out (by name hash)
     * @param validationImages   validation images per source (phantoms; natural)
     * @param validationSize     side of the validation images
     * @param seed               the seed of everything
     */
    public record Config(DenoiserConfig net, int patch, int batch, int epochs, int stepsPerEpoch, double learningRate,
                         String schedule, double sigmaMax, double cameraFraction, Path data, double phantomFraction,
                         List<String> exclude, double validationFraction, int validationImages, int validationSize,
                         long seed, TrainingNoise.Distribution sigmaDistribution) {
        public Config {
            if (patch < 8 || patch > 1024) throw new IllegalArgumentException("patch must be in [8, 1024], got " + patch);
            if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            if (stepsPerEpoch < 1) throw new IllegalArgumentException("steps per epoch must be >= 1, got " + stepsPerEpoch);
            if (!(learningRate > 0) || !Double.isFinite(learningRate)) throw new IllegalArgumentException("learning rate must be > 0");
            if (!List.of("cosine", "step", "constant").contains(schedule))
                throw new IllegalArgumentException("schedule must be cosine, step or constant, got '" + schedule + "'");
            if (!(sigmaMax > 0 && sigmaMax <= 1)) throw new IllegalArgumentException("sigma-max must be in (0, 1], got " + sigmaMax);
            if (!(cameraFraction >= 0 && cameraFraction <= 1)) throw new IllegalArgumentException("camera fraction must be in [0, 1]");
            if (!(phantomFraction >= 0 && phantomFraction <= 1)) throw new IllegalArgumentException("phantom fraction must be in [0, 1], got " + phantomFraction);
            if (!(validationFraction > 0 && validationFraction < 1)) throw new IllegalArgumentException("validation fraction must be in (0, 1)");
            if (validationImages < 1) throw new IllegalArgumentException("validation images must be >= 1");
            if (validationSize < 16) throw new IllegalArgumentException("validation size must be >= 16");
            exclude = List.copyOf(exclude);
            net = net.withSeed(seed);
            if (sigmaDistribution == null) sigmaDistribution = TrainingNoise.Distribution.UNIFORM;
        }

        public Config(DenoiserConfig net, int patch, int batch, int epochs, int stepsPerEpoch, double learningRate,
                      String schedule, double sigmaMax, double cameraFraction, Path data, double phantomFraction,
                      List<String> exclude, double validationFraction, int validationImages, int validationSize, long seed) {
            this(net, patch, batch, epochs, stepsPerEpoch, learningRate, schedule, sigmaMax, cameraFraction, data,
                    phantomFraction, exclude, validationFraction, validationImages, validationSize, seed, null);
        }

        TrainingNoise noise() {
            return new TrainingNoise(sigmaMax, cameraFraction, sigmaDistribution);
        }

        /** 8×32 DnCNN, 64 px patches, batch 16, 10 × 500 steps, lr 1e-3 cosine, σmax 0.1, 30% camera noise, phantoms only. */
        public static Config defaults() {
            return new Config(DnCnn.Config.defaults(), 64, 16, 10, 500, 1e-3, "cosine", 0.1, 0.3, null, 0.5,
                    DEFAULT_EXCLUDE, 0.1, 8, 128, 42);
        }

        public int totalSteps() {
            return epochs * stepsPerEpoch;
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
            m.put("patch", patch);
            m.put("batch", batch);
            m.put("epochs", epochs);
            m.put("stepsPerEpoch", stepsPerEpoch);
            m.put("totalSteps", totalSteps());
            m.put("optimizer", "Adam(beta1 0.9, beta2 0.999, eps 1e-8)");
            m.put("learningRate", learningRate);
            m.put("schedule", schedule);
            m.put("loss", "mean squared error of D(noisy, sigma) against the clean patch");
            m.put("sigmaMax", sigmaMax);
            m.put("cameraFraction", cameraFraction);
            if (sigmaDistribution != TrainingNoise.Distribution.UNIFORM) m.put("sigmaDistribution", sigmaDistribution.name().toLowerCase(java.util.Locale.ROOT));
            m.put("data", data == null ? null : data.toAbsolutePath().normalize().toString());
            m.put("phantomFraction", data == null ? 1.0 : phantomFraction);
            m.put("exclude", exclude);
            m.put("validationFraction", validationFraction);
            m.put("validationImages", validationImages);
            m.put("validationSize", validationSize);
            m.put("seed", seed);
            m.put("architecture", net.toMap());
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

    record Batch(float[] noisy, float[] clean, float[] sigma, int count, int side) {}

    record Validation(List<String> sources, List<Plane> clean, double[] levels, List<List<Plane>> noisy) {}

    /** Training sampler, validation set and a description of where they came from. */
    record Data(PatchSampler sampler, Validation validation, List<Map<String, Object>> sources) {}

    static Data prepare(Config c, Listener listener) {
        PhantomGenerator phantoms = new PhantomGenerator();
        List<Map<String, Object>> sources = new ArrayList<>();
        List<String> valSources = new ArrayList<>();
        List<Plane> valClean = new ArrayList<>();
        PatchSampler sampler;
        for (int i = 0; i < c.validationImages(); i++) {
            valClean.add(phantoms.generate(c.validationSize(), VALIDATION_SEED + i));
            valSources.add("phantom");
        }
        Map<String, Object> ph = new LinkedHashMap<>();
        ph.put("kind", "phantoms");
        ph.put("generator", "PhantomGenerator " + phantoms.kind() + " (filaments, beads, cells, haze)");
        ph.put("fraction", c.data() == null ? 1.0 : c.phantomFraction());
        ph.put("validation", c.validationImages() + " phantoms " + c.validationSize() + "x" + c.validationSize()
                + ", seeds " + VALIDATION_SEED + " + 0.." + (c.validationImages() - 1));
        if (c.data() == null) {
            sampler = PatchSampler.fromPhantoms(phantoms);
        } else {
            List<Path> all = PatchSampler.listImages(c.data());
            List<PathMatcher> globs = c.exclude().stream()
                    .map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g.toLowerCase(Locale.ROOT))).toList();
            List<Path> kept = new ArrayList<>(), excluded = new ArrayList<>();
            for (Path p : all) {
                Path name = Path.of(p.getFileName().toString().toLowerCase(Locale.ROOT));
                (globs.stream().anyMatch(g -> g.matches(name)) ? excluded : kept).add(p);
            }
            if (kept.isEmpty()) throw new InputException(c.data(), "no images left after excluding " + c.exclude());
            DatasetSplit split = DatasetSplit.of(kept, c.validationFraction());
            if (split.train().isEmpty()) throw new InputException(c.data(), "every image fell on the validation side; add images");
            PatchSampler.Options opts = PatchSampler.Options.defaults();
            PatchSampler natural = PatchSampler.fromFiles(split.train(), opts);
            sampler = c.phantomFraction() > 0 ? natural.withPhantoms(phantoms, c.phantomFraction()) : natural;
            for (String s : natural.skipped()) listener.message("skipped " + s);
            Map<String, Object> nat = new LinkedHashMap<>();
            nat.put("kind", "folder");
            nat.put("path", c.data().toAbsolutePath().normalize().toString());
            nat.put("fraction", 1 - c.phantomFraction());
            nat.put("scaling", "each image min/max to [0, 1], RGB as luminance, random flips/rotations, patches with std < "
                    + opts.minStd() + " redrawn");
            nat.put("train", names(split.train()));
            nat.put("validation", names(split.validation()));
            nat.put("excluded", names(excluded));
            nat.put("excludeGlobs", c.exclude());
            Path sourcesFile = c.data().resolve("SOURCES.tsv");
            if (Files.isRegularFile(sourcesFile)) nat.put("provenance", sourcesFile.toAbsolutePath().normalize().toString());
            sources.add(nat);
            listener.message("data: " + split.train().size() + " training and " + split.validation().size()
                    + " validation images from " + c.data() + "; excluded " + names(excluded));
            if (!split.validation().isEmpty()) {
                PatchSampler val = PatchSampler.fromFiles(split.validation(), opts.withAugment(false));
                for (PatchSampler.Patch p : val.sample(c.validationSize(), c.validationImages(), VALIDATION_SEED)) {
                    valClean.add(p.plane());
                    valSources.add("natural");
                }
            } else {
                listener.message("warning: no file of " + c.data() + " fell on the validation side; validating on phantoms only");
            }
        }
        sources.add(0, ph);
        // with a large σmax also the weak noise a deconvolution prior mostly works at
        double[] levels = c.sigmaMax() / 4 > 0.03 ? new double[] {0.01, c.sigmaMax() / 4, c.sigmaMax() / 2, c.sigmaMax()}
                : new double[] {c.sigmaMax() / 4, c.sigmaMax() / 2, c.sigmaMax()};
        List<List<Plane>> noisy = new ArrayList<>();
        for (int l = 0; l < levels.length; l++) {
            List<Plane> level = new ArrayList<>();
            for (int i = 0; i < valClean.size(); i++) {
                SplittableRandom r = new SplittableRandom(VALIDATION_SEED + 1000L * (l + 1) + i);
                float[] in = valClean.get(i).data(), out = new float[in.length];
                for (int k = 0; k < in.length; k++) out[k] = (float) (in[k] + levels[l] * Noise.gaussian(r));
                level.add(new Plane(c.validationSize(), c.validationSize(), out));
            }
            noisy.add(level);
        }
        return new Data(sampler, new Validation(valSources, valClean, levels, noisy), sources);
    }

    private static List<String> names(List<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).toList();
    }

    /** SplitMix64 of two longs: independent streams per (seed, step, purpose). */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The batch of global step {@code step}: a pure function of (config, step). */
    static Batch batch(Config c, PatchSampler sampler, TrainingNoise noise, long step) {
        List<PatchSampler.Patch> patches = sampler.sample(c.patch(), c.batch(), mix(c.seed(), 2 * step));
        SplittableRandom r = new SplittableRandom(mix(c.seed(), 2 * step + 1));
        int n = c.patch() * c.patch();
        float[] noisy = new float[c.batch() * n], clean = new float[c.batch() * n], sigma = new float[c.batch()];
        for (int i = 0; i < patches.size(); i++) {
            Plane p = patches.get(i).plane();
            TrainingNoise.Noisy z = noise.apply(p, r);
            System.arraycopy(p.data(), 0, clean, i * n, n);
            System.arraycopy(z.image().data(), 0, noisy, i * n, n);
            sigma[i] = (float) z.sigma();
        }
        return new Batch(noisy, clean, sigma, c.batch(), c.patch());
    }

    // ---- training ---------------------------------------------------------------------------------------------

    static Tracker schedule(Config c) {
        float lr = (float) c.learningRate();
        int total = Math.max(1, c.totalSteps());
        return switch (c.schedule()) {
            case "cosine" -> Tracker.cosine().setBaseValue(lr).optFinalValue(lr * 0.01f).setMaxUpdates(total).build();
            case "step" -> Tracker.multiFactor().setBaseValue(lr)
                    .setSteps(new int[] {Math.max(1, total / 2), Math.max(2, 3 * total / 4)}).optFactor(0.2f).build();
            default -> Tracker.fixed(lr);
        };
    }

    /**
     * Trains as configured. With {@code checkpointDir}, state is saved there after every epoch; with
     * {@code resume} a checkpoint found there is continued (it must have been made with the same settings but the
     * number of epochs).
     */
    public static Result train(NDManager manager, Config c, Path checkpointDir, boolean resume, Listener listener) {
        long t0 = System.nanoTime();
        Data data = prepare(c, listener);
        TrainingNoise noise = c.noise();
        TrainableDenoiser net = c.net().build();
        List<Map<String, Object>> history = new ArrayList<>();
        int startEpoch = 0;
        int skippedInARow = 0;
        double previousSeconds = 0;
        AdamOptimizer adam = new AdamOptimizer(manager, schedule(c));
        ExecutorService prefetch = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "equilibria-batches");
            t.setDaemon(true);
            return t;
        });
        try {
            Checkpoint cp = resume ? Checkpoint.read(checkpointDir) : null;
            if (cp != null) {
                if (!json(cp.identity()).equals(json(c.identity()))) { // as JSON text: numbers read back may change type
                    throw new IllegalArgumentException("checkpoint in " + checkpointDir + " was made with other settings: "
                            + cp.identity() + " (now " + c.identity() + "); only --epochs may change on --resume");
                }
                cp.load(net, adam, manager);
                history.addAll(cp.history());
                startEpoch = cp.epoch();
                previousSeconds = cp.seconds();
                listener.message("resumed from " + checkpointDir + " after epoch " + startEpoch + " (step " + adam.steps() + ")");
            } else {
                if (resume) listener.message("no checkpoint in " + checkpointDir + "; starting afresh");
                net.allocate(manager);
                net.prepareForTraining();
            }
            setTrainable(net, true);
            if (adam.steps() != startEpoch * c.stepsPerEpoch()) {
                throw new InputException(checkpointDir, "checkpoint is inconsistent: optimiser at step " + adam.steps()
                        + " after epoch " + startEpoch);
            }
            listener.message(net.describe() + "; " + String.format(Locale.ROOT, "%.0f", net.flopsPerPixel()) + " flop/pixel");
            ParameterStore ps = new ParameterStore(manager, false);
            Map<String, Object> validation = history.isEmpty() ? null : castMap(history.get(history.size() - 1).get("validation"));
            long step = (long) startEpoch * c.stepsPerEpoch();
            Future<Batch> next = startEpoch < c.epochs() ? submit(prefetch, c, data.sampler(), noise, step) : null;
            for (int epoch = startEpoch; epoch < c.epochs(); epoch++) {
                long te = System.nanoTime();
                double lossSum = 0;
                int skipped = 0;
                for (int s = 0; s < c.stepsPerEpoch(); s++, step++) {
                    Batch b = await(next);
                    boolean more = s + 1 < c.stepsPerEpoch() || epoch + 1 < c.epochs();
                    next = more ? submit(prefetch, c, data.sampler(), noise, step + 1) : null;
                    float lr = adam.currentLearningRate();
                    double loss = trainStep(net, ps, adam, b, manager);
                    if (!Double.isFinite(loss)) {
                        skipped++;
                        if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                            throw new NumericalException("training diverged at epoch " + (epoch + 1) + ", step " + (s + 1)
                                    + " (" + skippedInARow + " steps in a row with a non-finite loss or gradient); lower --lr");
                        }
                        listener.message("epoch " + (epoch + 1) + " step " + (s + 1) + ": non-finite loss or gradient, update skipped");
                        continue;
                    }
                    skippedInARow = 0;
                    lossSum += loss;
                    listener.step(epoch + 1, s + 1, c.stepsPerEpoch(), loss, lr);
                }
                Map<String, Object> diagnostics = net.refine();
                validation = validate(net, data.validation(), manager);
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("epoch", epoch + 1);
                summary.put("steps", (long) (epoch + 1) * c.stepsPerEpoch());
                summary.put("loss", lossSum / Math.max(1, c.stepsPerEpoch() - skipped));
                if (skipped > 0) summary.put("skippedSteps", skipped);
                summary.put("learningRate", (double) adam.currentLearningRate());
                summary.put("seconds", (System.nanoTime() - te) / 1e9);
                summary.putAll(diagnostics);
                summary.put("validation", validation);
                history.add(summary);
                if (checkpointDir != null) {
                    Checkpoint.write(checkpointDir, c, net, adam, epoch + 1, history,
                            previousSeconds + (System.nanoTime() - t0) / 1e9);
                }
                listener.epoch(summary);
            }
            if (validation == null) { // resumed a finished run
                validation = validate(net, data.validation(), manager);
            }
            setTrainable(net, false);
            return new Result(net, c, history, validation, data.sources(), previousSeconds + (System.nanoTime() - t0) / 1e9);
        } finally {
            prefetch.shutdownNow();
            adam.close();
        }
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Future<Batch> submit(ExecutorService pool, Config c, PatchSampler sampler, TrainingNoise noise, long step) {
        return pool.submit(() -> batch(c, sampler, noise, step));
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

    /** Consecutive steps with a non-finite loss or gradient after which training stops (the weights are never updated by one). */
    static final int MAX_SKIPPED_IN_A_ROW = 10;

    /** One optimiser step on one batch; returns the loss before the step, or NaN for a step skipped because its loss or
     *  a gradient was not finite. Memory stays flat: every array of the step lives on a sub-manager and in a scope
     *  closed at its end. */
    static double trainStep(TrainableDenoiser net, ParameterStore ps, AdamOptimizer adam, Batch b, NDManager manager) {
        double loss;
        try (NDManager sub = manager.newSubManager()) {
            Shape shape = new Shape(b.count(), 1, b.side(), b.side());
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

    @SuppressWarnings("unchecked")
    static Map<String, Object> castMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    // ---- model card -------------------------------------------------------------------------------------------

    /** The card for a trained denoiser. */
    public static ModelCard card(String name, Result r, String commandLine) {
        Map<String, Object> settings = new LinkedHashMap<>(r.config().settings());
        settings.remove("architecture");
        settings.put("noise", r.config().noise().spec());
        ModelCard.Training training = new ModelCard.Training(commandLine, r.dataSources(), r.config().seed(), settings,
                r.history(), Math.round(r.seconds() * 10) / 10.0);
        Map<String, Object> validation = new LinkedHashMap<>(r.validation());
        if (r.net() instanceof DnCnn d) {
            validation.put("residualLipschitzBound", d.residualLipschitzBound());
            validation.put("residualLipschitzFromEstimates", Math.round(d.estimatedResidualLipschitz() * 1e4) / 1e4);
        }
        return ModelCard.of(name, "denoiser", r.net().describe(), r.net().architecture(), training, validation);
    }

    // ---- checkpoints ------------------------------------------------------------------------------------------

    /** {@code checkpoint.params} (block), {@code checkpoint.adam} (optimiser), {@code checkpoint.json} (the rest,
     *  written last, with both files' SHA-256: it is the commit point). */
    record Checkpoint(Path dir, int epoch, Map<String, Object> identity, List<Map<String, Object>> history,
                      double seconds, String paramsSha, String adamSha) {
        static void write(Path dir, Config c, TrainableDenoiser net, AdamOptimizer adam, int epoch, List<Map<String, Object>> history,
                          double seconds) {
            write(dir, c.identity(), net, adam, epoch, history, seconds);
        }

        static void write(Path dir, Map<String, Object> identity, ai.djl.nn.Block net, AdamOptimizer adam, int epoch,
                          List<Map<String, Object>> history, double seconds) {
            Path params = dir.resolve(CHECKPOINT + ".params"), opt = dir.resolve(CHECKPOINT + ".adam");
            AtomicFiles.write(params, os -> {
                DataOutputStream d = new DataOutputStream(os);
                net.saveParameters(d);
                d.flush();
            });
            AtomicFiles.write(opt, os -> adam.save(new DataOutputStream(os)));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("epoch", epoch);
            m.put("step", adam.steps());
            m.put("identity", identity);
            m.put("seconds", seconds);
            m.put("paramsSha256", ModelStore.sha256(params));
            m.put("adamSha256", ModelStore.sha256(opt));
            m.put("history", history);
            try {
                AtomicFiles.writeString(dir.resolve(CHECKPOINT + ".json"), JSON.writeValueAsString(m) + "\n");
            } catch (IOException e) {
                throw new OutputException(dir, "cannot write checkpoint: " + e.getMessage());
            }
        }

        @SuppressWarnings("unchecked")
        static Checkpoint read(Path dir) {
            if (dir == null) throw new IllegalArgumentException("--resume needs --checkpoint DIR");
            Path json = dir.resolve(CHECKPOINT + ".json");
            if (!Files.isRegularFile(json)) return null;
            try {
                Map<String, Object> m = JSON.readValue(json.toFile(), new TypeReference<Map<String, Object>>() {});
                return new Checkpoint(dir, ((Number) m.get("epoch")).intValue(), (Map<String, Object>) m.get("identity"),
                        (List<Map<String, Object>>) m.get("history"), ((Number) m.get("seconds")).doubleValue(),
                        (String) m.get("paramsSha256"), (String) m.get("adamSha256"));
            } catch (IOException | RuntimeException e) {
                throw new InputException(json, "not a readable checkpoint (" + e.getMessage() + ")");
            }
        }

        void load(TrainableDenoiser net, AdamOptimizer adam, NDManager manager) {
            load(net, net::allocate, adam, manager);
        }

        void load(ai.djl.nn.Block net, java.util.function.Consumer<NDManager> initialize, AdamOptimizer adam, NDManager manager) {
            Path params = dir.resolve(CHECKPOINT + ".params"), opt = dir.resolve(CHECKPOINT + ".adam");
            for (Path p : List.of(params, opt)) {
                if (!Files.isRegularFile(p)) throw new InputException(p, "checkpoint file missing");
            }
            if (!ModelStore.sha256(params).equals(paramsSha) || !ModelStore.sha256(opt).equals(adamSha)) {
                throw new InputException(dir, "checkpoint files do not match checkpoint.json (interrupted while saving?)");
            }
            try (NDManager scratch = manager.newSubManager();
                 InputStream in = new BufferedInputStream(Files.newInputStream(params));
                 DataInputStream d = new DataInputStream(in);
                 InputStream in2 = new BufferedInputStream(Files.newInputStream(opt));
                 DataInputStream d2 = new DataInputStream(in2)) {
                initialize.accept(scratch); // shapes; the values are replaced on the real manager
                net.loadParameters(manager, d);
                adam.load(d2);
            } catch (IOException | MalformedModelException | RuntimeException e) {
                throw new InputException(dir, "cannot load checkpoint (" + e.getMessage() + ")");
            }
        }
    }
}
