package io.equilibria.train;

import ai.djl.ndarray.NDManager;
import io.equilibria.image.Plane;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.priors.DenoiserConfig;
import io.equilibria.priors.TrainableDenoiser;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.reconstruct.deq.DeqScalars;
import io.equilibria.reconstruct.oder.OderSettings;
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

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code train deq}: end-to-end training of a DEQ reconstruction ({@link DeqModel}) through its fixed point
 * ({@link DeqTrainer}) in the shared {@link TrainingLoop}. Clean patches come from {@link TrainingData}, as the
 * denoiser's; each becomes a problem with a random PSF and noise (deblurring) or a random CS operator and ratio
 * ({@link ProblemFactory}). The denoiser usually starts from a trained one ({@code --denoiser}), so the DEQ stage
 * mostly fits the scalars γ, τ, s and adapts the prior to the iterates it meets. Batches are a pure function of
 * (seed, step): a resumed run draws what the uninterrupted run would have.
 */
public final class DeqTraining {
    public static final long VALIDATION_SEED = 0x0DE0_0000_0000L;
    /**
     * 3D: validation problem i is drawn from {@code new SplittableRandom(VOLUME_VALIDATION_SEED + i)} by a factory whose
     * PSF pool is built from this seed too; training draws from (seed, step) with a pool from the training seed.
     */
    public static final long VOLUME_VALIDATION_SEED = 0x3DE0_0000_0000L;
    /** 3D: the number of fixed validation volumes. */
    public static final int VOLUME_VALIDATION_PROBLEMS = 4;

    /**
     * The problems trained on.
     *
     * @param sigmaMin Gaussian noise σ is uniform in [sigmaMin, sigmaMax]
     * @param blocks   measurement blocks per problem: views (deblurring) or CS row groups
     */
    public record Problems(double sigmaMin, double sigmaMax, int blocks) {
        public static final Problems DEFAULT = new Problems(0.002, 0.05, 1);

        public Problems {
            if (!(sigmaMin >= 0 && sigmaMax >= sigmaMin && sigmaMax <= 0.5)) throw new IllegalArgumentException("need 0 <= sigma-min <= sigma-max <= 0.5");
            if (blocks < 1) throw new IllegalArgumentException("blocks must be >= 1, got " + blocks);
        }
    }

    /**
     * The fixed-point solves of a step.
     *
     * @param gradient {@code ift}, {@code ift:SOLVER}, {@code jfb} or {@code neumann:K}
     * @param oder     ODER's minibatch settings, or null for full batch
     */
    public record Solver(String gradient, int forwardIterations, int backwardIterations, OderSettings oder) {
        public static final double FORWARD_TOLERANCE = 1e-3, BACKWARD_TOLERANCE = 1e-4;
        public static final Solver DEFAULT = new Solver("ift", 30, 30, null);

        public Solver {
            if (forwardIterations < 1 || backwardIterations < 1) throw new IllegalArgumentException("iterations must be >= 1");
        }

        /** As settings have always written a tolerance ("1e-3"): checkpoints compare settings as text. */
        static String text(double tolerance) {
            return String.format(Locale.ROOT, "%.0e", tolerance).replace("e-0", "e-");
        }
    }

    /**
     * The scalars' starting values (a DEQ given as {@code denoiserInit} brings its own γ, τ, s).
     *
     * @param tauExponent    red: the prior weight scales as (σ/σref)^p
     * @param nullSpaceSigma cs: the prior's noise level grows with the unmeasured share
     * @param start          where the fixed-point iteration starts
     */
    public record Scalars(double gamma, double tau, double sigmaScale, double tauExponent, double nullSpaceSigma,
                          DeqScalars.Start start) {
        public static final Scalars DEFAULT = new Scalars(1, 0.2, 1, 2, 0, DeqScalars.Start.TIKHONOV);

        public Scalars {
            if (start == null) start = DeqScalars.Start.TIKHONOV;
            if (!(nullSpaceSigma >= 0)) throw new IllegalArgumentException("null-space sigma must be >= 0");
        }
    }

    /**
     * @param denoiserInit model name/path of a trained denoiser (or DEQ) to start from (null: He initialisation)
     * @param scalarRate   the scalars' learning rate as a multiple of the denoiser's
     */
    public record Config(DeqModel.Task task, DeqForm form, String denoiserInit, DenoiserConfig net, DataConfig data,
                         Problems problems, ScheduleConfig schedule, OptimizerConfig optimizer, double scalarRate,
                         Solver solver, Scalars scalars, long seed, VolumeProblemFactory.Settings volumes) {
        /** 2D problems (images). */
        public Config(DeqModel.Task task, DeqForm form, String denoiserInit, DenoiserConfig net, DataConfig data,
                      Problems problems, ScheduleConfig schedule, OptimizerConfig optimizer, double scalarRate,
                      Solver solver, Scalars scalars, long seed) {
            this(task, form, denoiserInit, net, data, problems, schedule, optimizer, scalarRate, solver, scalars, seed, null);
        }

        /** True for 3D deconvolution of z-stacks ({@code volumes} set): problems from {@link VolumeProblemFactory}. */
        public boolean volume() { return volumes != null; }

        public static final DataConfig DEFAULT_DATA = new DataConfig(64, 4, null, DataConfig.DEFAULT_PHANTOM_FRACTION,
                DataConfig.DEFAULT_EXCLUDE, DataConfig.DEFAULT_VALIDATION_FRACTION, 4, DataConfig.DEFAULT_VALIDATION_SIZE);
        public static final ScheduleConfig DEFAULT_SCHEDULE = new ScheduleConfig(4, 100);
        public static final OptimizerConfig DEFAULT_OPTIMIZER = new OptimizerConfig(5e-5, OptimizerConfig.COSINE);
        public static final double DEFAULT_SCALAR_RATE = 200;
        public static final long DEFAULT_SEED = 42;

        public Config {
            OderSettings oder = solver.oder();
            if (oder != null && oder.batch() > problems.blocks()) {
                throw new IllegalArgumentException("ODER's " + io.equilibria.errors.Setting.MINIBATCH + " " + oder.batch() + " is more than the " + problems.blocks() + " blocks per problem");
            }
            if (task == DeqModel.Task.CS && data.patch() % 32 != 0) throw new IllegalArgumentException("CS patches must be a multiple of 32 (the block size), got " + data.patch());
            if (!(scalarRate > 0)) throw new IllegalArgumentException("scalar rate must be > 0");
            if (volumes != null && (task != DeqModel.Task.DEBLUR || oder != null || problems.blocks() != 1)) {
                throw new IllegalArgumentException("3D training is for full-batch deblurring of one z-stack (no CS, ODER or views)");
            }
            if (volumes == null && net != null && net.volumetric()) {
                throw new IllegalArgumentException(io.equilibria.errors.Setting.DENOISER + " is a 3D CNN (" + net.type()
                        + "), a prior of volumes: train a model of z-stacks (" + io.equilibria.errors.Setting.VOLUME + ")");
            }
        }

        public OderSettings oder() { return solver.oder(); }

        DeqTrainer.Config trainer() {
            return new DeqTrainer.Config(form, solver.gradient(), solver.forwardIterations(), Solver.FORWARD_TOLERANCE,
                    solver.backwardIterations(), Solver.BACKWARD_TOLERANCE, optimizer.learningRate(), solver.oder());
        }

        DeqModel.Config model() {
            return new DeqModel.Config(task, form, net, scalars.gamma(), scalars.tau(), scalars.sigmaScale(), scalars.tauExponent(),
                    scalars.nullSpaceSigma(), scalars.start(), 1e-4, volume());
        }

        public Map<String, Object> settings() {
            int blocks = problems.blocks();
            OderSettings oder = solver.oder();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("task", task.label());
            m.put("form", form.name().toLowerCase(Locale.ROOT));
            m.put("gradient", solver.gradient());
            m.put("denoiserInit", denoiserInit);
            m.put("patch", data.patch());
            m.put("batch", data.batch());
            m.put("epochs", schedule.epochs());
            m.put("stepsPerEpoch", schedule.stepsPerEpoch());
            m.put("optimizer", "Adam(beta1 0.9, beta2 0.999, eps 1e-8); scalars at " + scalarRate + "x the rate");
            m.put("learningRate", optimizer.learningRate());
            m.put("schedule", optimizer.schedule());
            m.put("loss", "mean squared error of the fixed point x* against the ground truth");
            String sigmas = "Gaussian sigma uniform in [" + problems.sigmaMin() + ", " + problems.sigmaMax() + "]";
            m.put("noise", task == DeqModel.Task.DEBLUR ? sigmas + ", half of the problems also Poisson with 50-1000 photons at 1.0" : sigmas);
            m.put("operators", task == DeqModel.Task.DEBLUR
                    ? "periodic FFT blur; PSF Gaussian sigma 1-3 px or Airy NA 0.7-1.4, wavelength 450-650 nm, first ring at 1.5-4 px"
                      + (blocks > 1 ? "; " + blocks + " views per problem, PSFs stretched 2x at angles pi k/" + blocks + " plus a random rotation" : "")
                    : "block CS, 32x32 blocks, Gaussian or Walsh-Hadamard rows, 8 operators with ratios 0.1-0.5"
                      + (blocks > 1 ? ", rows in " + blocks + " groups" : ""));
            m.put("blocks", blocks);
            if (scalars.nullSpaceSigma() > 0) m.put("nullSpaceSigma", scalars.nullSpaceSigma());
            if (scalars.start() != DeqScalars.Start.TIKHONOV) m.put("start", scalars.start().name().toLowerCase(Locale.ROOT));
            if (oder != null) m.put("oder", oder.toMap());
            m.put("forwardSolver", (oder == null ? "anderson" : oder.solverSpec()) + ", at most " + solver.forwardIterations()
                    + " iterations, tolerance " + Solver.text(Solver.FORWARD_TOLERANCE));
            m.put("backwardSolver", solver.gradient() + ", at most " + solver.backwardIterations() + " iterations, tolerance "
                    + Solver.text(Solver.BACKWARD_TOLERANCE));
            m.putAll(data.sourceSettings());
            m.put("validationImages", data.validationImages());
            m.put("validationSize", data.validationSize());
            m.put("seed", seed);
            m.put("tauExponent", scalars.tauExponent());
            if (volume()) {
                // what 2D data and operators the entries above describe is not what a 3D run draws
                for (String k : List.of("patch", "noise", "operators", "blocks", "data", "phantomFraction", "exclude", "validationImages",
                        "validationSize", "tauExponent")) m.remove(k);
                m.put("task", "deblur, 3D (z-stacks)");
                m.put("volume", volumes.toMap());
                m.put("validationProblems", VOLUME_VALIDATION_PROBLEMS);
                m.put("validationSeeds", "problem i from SplittableRandom(" + VOLUME_VALIDATION_SEED + " + i), i < " + VOLUME_VALIDATION_PROBLEMS
                        + ", field depth " + volumes.depthMin() + ", PSF pool from seed " + VOLUME_VALIDATION_SEED + "; training draws from"
                        + " (seed, step) with the pool from the training seed");
            }
            return m;
        }

        Map<String, Object> identity() {
            Map<String, Object> m = new LinkedHashMap<>(settings());
            m.remove("epochs");
            return m;
        }
    }

    public interface Listener {
        default void message(String text) {}

        default void step(int epoch, int step, int stepsPerEpoch, DeqTrainer.Step s, double learningRate) {}

        default void epoch(Map<String, Object> summary) {}
    }

    public record Result(DeqModel model, Config config, List<Map<String, Object>> history, Map<String, Object> validation,
                         List<Map<String, Object>> dataSources, double seconds) {}

    private DeqTraining() {}

    public static Result train(NDManager manager, Config c, Path checkpointDir, boolean resume, Listener listener) {
        HistoryListener history = new HistoryListener();
        boolean vol = c.volume();
        TrainingData data = vol ? null : TrainingData.prepare(c.data(), listener::message);
        ProblemFactory.Task ptask = c.task() == DeqModel.Task.DEBLUR ? ProblemFactory.Task.DEBLUR : ProblemFactory.Task.CS;
        DeqModel model = new DeqModel(modelConfig(c, manager));
        ScheduleConfig schedule = c.schedule();
        Problems pr = c.problems();
        // 3D: the patch sampler and the 2D factories are not used (the volumes come from their own generator)
        int patch = vol ? 32 : c.data().patch(), valSize = vol ? 32 : c.data().validationSize();
        if (vol) listener.message("building " + 2 * c.volumes().psfPool() + " 3D PSFs (training and validation pools)");
        try (AdamOptimizer adam = new AdamOptimizer(manager, c.optimizer().tracker(schedule.totalSteps()));
             ProblemFactory train = new ProblemFactory(ptask, manager, patch, pr.sigmaMin(), pr.sigmaMax(), c.seed(), pr.blocks());
             ProblemFactory valFactory = new ProblemFactory(ptask, manager, valSize, pr.sigmaMin(), pr.sigmaMax(),
                     VALIDATION_SEED, pr.blocks())) {
            VolumeProblemFactory volTrain = vol ? new VolumeProblemFactory(manager, c.volumes(), c.seed()) : null;
            VolumeProblemFactory volVal = vol ? new VolumeProblemFactory(manager, c.volumes(), VOLUME_VALIDATION_SEED) : null;
            adam.setLearningRateScale(name -> Set.of("logGamma", "logTau", "logSigmaScale").contains(name) ? c.scalarRate() : 1.0);
            CheckpointListener checkpoint = new CheckpointListener(checkpointDir, c.identity(), model, adam, history);
            OptionalInt resumed = checkpoint.resume(resume, model::initialize, manager, listener::message);
            if (resumed.isEmpty()) initialise(model, c.denoiserInit(), manager, listener);
            DeqTrainer trainer = new DeqTrainer(c.trainer(), model, adam);
            List<ReconstructionProblem> validation = new ArrayList<>();
            List<String> valSources = new ArrayList<>();
            if (vol) {
                for (int i = 0; i < VOLUME_VALIDATION_PROBLEMS; i++) {
                    ReconstructionProblem p = volVal.make(c.volumes().depthMin(), new SplittableRandom(VOLUME_VALIDATION_SEED + i));
                    validation.add(p);
                    valSources.add("volume");
                    listener.message("validation volume " + i + ": " + p.description());
                }
            } else {
                List<Plane> valClean = data.validation();
                for (int i = 0; i < valClean.size(); i++) {
                    validation.add(valFactory.make(valClean.get(i), new SplittableRandom(VALIDATION_SEED + i)));
                }
                valSources.addAll(data.validationSources());
            }
            listener.message(model.describe());
            Object before = null; // PSNR of the starting model (epoch 1 keeps it, so a resumed run still knows it)
            if (history.history().isEmpty()) {
                Map<String, Object> b = validate(trainer, validation, valSources, c.task());
                listener.message("validation before training: " + b);
                before = b.get("psnr");
            }
            ValidationListener validate = new ValidationListener(
                    () -> validate(trainer, validation, valSources, c.task()), history.last("validation"));
            TrainingListener<DeqTrainer.Step> progress = new TrainingListener<>() {
                @Override
                public void onStepEnd(StepEnd<? extends DeqTrainer.Step> s) {
                    if (s.skipped()) listener.message("step " + (s.global() + 1)
                            + ": the forward solve diverged or the loss or a gradient is not finite; update skipped");
                    listener.step(s.epoch(), s.step(), s.stepsPerEpoch(), s.outcome(), s.learningRate());
                }

                @Override
                public void onEpochEnd(Epoch e) { listener.epoch(e.summary()); }
            };
            java.util.function.LongFunction<List<ReconstructionProblem>> batches = vol
                    ? step -> volumeBatch(c, volTrain, step)
                    : step -> batch(c, data.sampler(), train, step);
            new TrainingLoop<>(new TrainingLoop.Plan(schedule.epochs(), schedule.stepsPerEpoch(), Integer.MAX_VALUE, true),
                    new Steps(c, batches, trainer, model, adam, before),
                    List.<TrainingListener<? super DeqTrainer.Step>>of(validate, history, checkpoint, progress))
                    .run(resumed.orElse(0));
            Map<String, Object> val = new LinkedHashMap<>(validate.result());
            if (before == null && !history.history().isEmpty()) before = history.history().get(0).get("psnrBeforeTraining");
            val.put("psnrBeforeTraining", before); // the same validation problems with the starting model
            validation.forEach(ReconstructionProblem::close);
            for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : model.getParameters()) p.getValue().getArray().setRequiresGradient(false);
            List<Map<String, Object>> sources = vol ? List.of(c.volumes().toMap()) : data.sources();
            return new Result(model, c, history.history(), val, sources, history.seconds());
        }
    }

    /**
     * The model's configuration: the config's, or for 3D training from a trained DEQ that DEQ's own (its τ law, floor
     * and start: the 3D model fine-tunes it) marked volumetric.
     */
    static DeqModel.Config modelConfig(Config c, NDManager manager) {
        if (!c.volume() || c.denoiserInit() == null) return c.model();
        io.equilibria.models.StoredModel init = ModelStore.load(c.denoiserInit(), manager);
        if (init.block() instanceof DeqModel from) {
            if (from.form() != c.form() || from.task() != c.task()) {
                throw new IllegalArgumentException(c.denoiserInit() + " is a DEQ-" + from.form() + " model for " + from.task().label()
                        + "; 3D training fine-tunes a DEQ-" + c.form() + " deblurring model");
            }
            return from.config().withVolume(true);
        }
        return c.model();
    }

    /** 3D: the problems of global step {@code step}, a pure function of (config, step). */
    static List<ReconstructionProblem> volumeBatch(Config c, VolumeProblemFactory factory, long step) {
        return factory.batch(c.data().batch(), TrainingData.random(c.seed(), step));
    }

    /** A fresh run's start: He initialisation, or a trained denoiser's weights (and a trained DEQ's scalars). */
    private static void initialise(DeqModel model, String denoiserInit, NDManager manager, Listener listener) {
        model.initialize(manager);
        if (denoiserInit == null) {
            model.denoiser().prepareForTraining();
            return;
        }
        io.equilibria.models.StoredModel init = ModelStore.load(denoiserInit, manager);
        TrainableDenoiser trained = (TrainableDenoiser) io.equilibria.priors.DenoiserHolder.load(denoiserInit, manager);
        copy(trained, model.denoiser(), manager);
        listener.message("denoiser initialised from " + denoiserInit + ": " + trained.describe());
        if (init.block() instanceof DeqModel from) { // fine-tuning a DEQ (e.g. ODER from full batch): its scalars too
            try (DeqScalars src = from.scalars(); DeqScalars dst = model.scalars()) {
                for (int i = 0; i < 3; i++) dst.parameters().get(i).set(src.parameters().get(i).toFloatArray());
                listener.message(String.format(Locale.ROOT, "scalars from %s: gamma %.4f, tau %.4f, sigma scale %.4f",
                        denoiserInit, dst.gammaValue(), dst.tauValue(), dst.sigmaScaleValue()));
            }
        }
    }

    /** The DEQ's step: a batch of problems through {@link DeqTrainer#step}; the summary adds solver iterations and the scalars. */
    private static final class Steps implements TrainingStep<DeqTrainer.Step> {
        private final Config c;
        private final java.util.function.LongFunction<List<ReconstructionProblem>> batches;
        private final DeqTrainer trainer;
        private final DeqModel model;
        private final AdamOptimizer adam;
        private final Object before;
        private double fwd, bwd, trainSeconds;

        Steps(Config c, java.util.function.LongFunction<List<ReconstructionProblem>> batches, DeqTrainer trainer, DeqModel model,
              AdamOptimizer adam, Object before) {
            this.c = c;
            this.batches = batches;
            this.trainer = trainer;
            this.model = model;
            this.adam = adam;
            this.before = before;
        }

        @Override
        public void beginEpoch(int epoch) { fwd = bwd = 0; }

        @Override
        public double learningRate() { return adam.currentLearningRate(); }

        @Override
        public DeqTrainer.Step step(long global) {
            List<ReconstructionProblem> batch = batches.apply(global);
            DeqTrainer.Step st;
            try {
                st = trainer.step(batch);
            } finally {
                batch.forEach(ReconstructionProblem::close);
            }
            fwd += st.forwardIterations();
            bwd += st.backwardIterations();
            return st;
        }

        @Override
        public void endEpoch(Epoch e) {
            trainSeconds = e.seconds();
            model.denoiser().refine();
        }

        @Override
        public void summarise(Epoch e) {
            int spe = c.schedule().stepsPerEpoch();
            Map<String, Object> summary = e.summary();
            summary.put("meanForwardIterations", fwd / spe);
            summary.put("meanBackwardIterations", bwd / spe);
            try (DeqScalars sc = model.scalars()) {
                summary.put("gamma", sc.gammaValue());
                summary.put("tau", sc.tauValue());
                summary.put("sigmaScale", sc.sigmaScaleValue());
            }
            summary.put("seconds", e.seconds());
            summary.put("trainSeconds", trainSeconds);
            summary.put("validation", e.validation());
            if (e.number() == 1) summary.put("psnrBeforeTraining", before);
        }
    }

    /** The problems of global step {@code step}: a pure function of (config, step). */
    static List<ReconstructionProblem> batch(Config c, PatchSampler sampler, ProblemFactory factory, long step) {
        List<PatchSampler.Patch> patches = TrainingData.patches(sampler, c.data(), c.seed(), step);
        SplittableRandom r = TrainingData.random(c.seed(), step);
        List<ReconstructionProblem> out = new ArrayList<>();
        for (PatchSampler.Patch p : patches) out.add(factory.make(p.plane(), r));
        return out;
    }

    /** Mean reconstruction PSNR over the validation problems, overall and per source. */
    static Map<String, Object> validate(DeqTrainer trainer, List<ReconstructionProblem> problems, List<String> sources,
                                        DeqModel.Task task) {
        Map<String, Object> v = new LinkedHashMap<>();
        double sum = 0;
        Map<String, double[]> by = new LinkedHashMap<>();
        for (int i = 0; i < problems.size(); i++) {
            double p = trainer.validate(List.of(problems.get(i)), task == DeqModel.Task.CS);
            sum += p;
            double[] acc = by.computeIfAbsent(sources.get(i), k -> new double[2]);
            acc[0] += p;
            acc[1]++;
        }
        v.put("psnr", Math.round(sum / problems.size() * 1000) / 1000.0);
        for (Map.Entry<String, double[]> e : by.entrySet()) v.put("psnr_" + e.getKey(), Math.round(e.getValue()[0] / e.getValue()[1] * 1000) / 1000.0);
        v.put("images", problems.size());
        return v;
    }

    /** Copies a trained denoiser's parameters and power vectors into {@code to} (same architecture). */
    static void copy(TrainableDenoiser from, TrainableDenoiser to, NDManager manager) {
        if (!from.config().withSeed(0).equals(to.config().withSeed(0))) {
            throw new IllegalArgumentException(io.equilibria.errors.Setting.DENOISER + " has architecture " + from.config() + " but the DEQ asks for " + to.config());
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(bytes);
            from.saveParameters(d);
            d.flush();
            to.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        } catch (IOException | ai.djl.MalformedModelException e) {
            throw new IllegalStateException("cannot copy denoiser parameters: " + e.getMessage(), e);
        }
    }

    public static ModelCard card(String name, Result r, String commandLine) {
        ModelCard.Training t = new ModelCard.Training(commandLine, r.dataSources(), r.config().seed(), r.config().settings(),
                r.history(), (double) Math.round(r.seconds()));
        return ModelCard.of(name, (r.config().oder() != null ? "oder-" : "deq-") + r.config().task().label(), r.model().describe(), r.model().architecture(), t, r.validation());
    }
}
