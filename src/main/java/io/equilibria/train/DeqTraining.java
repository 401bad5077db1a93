package io.equilibria.train;

import ai.djl.ndarray.NDManager;
import ai.djl.training.tracker.Tracker;
import io.equilibria.image.Plane;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.models.Architectures;
import io.equilibria.priors.DenoiserConfig;
import io.equilibria.priors.TrainableDenoiser;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.reconstruct.deq.DeqScalars;
import io.equilibria.train.data.PatchSampler;

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
import java.util.SplittableRandom;

/**
 * {@code train deq}: end-to-end training of a DEQ reconstruction ({@link DeqModel}) through its fixed point
 * ({@link DeqTrainer}). Clean patches come from the same sources as the denoiser's (phantoms and a folder of images,
 * with the same exclusions and validation split); each becomes a problem with a random PSF and noise (deblurring) or
 * a random CS operator and ratio ({@link ProblemFactory}). The denoiser usually starts from a trained one
 * ({@code --denoiser}), so the DEQ stage mostly fits the scalars γ, τ, s and adapts the prior to the iterates it
 * meets. Batches are a pure function of (seed, step): a resumed run draws what the uninterrupted run would have.
 */
public final class DeqTraining {
    public static final long VALIDATION_SEED = 0x0DE0_0000_0000L;

    /**
     * @param denoiserInit model name/path of a trained denoiser to start from (null: He initialisation)
     * @param scalarRate   the scalars' learning rate as a multiple of the denoiser's
     */
    public record Config(DeqModel.Task task, DeqForm form, String gradient, String denoiserInit, DenoiserConfig net,
                         int patch, int batch, int epochs, int stepsPerEpoch, double learningRate, double scalarRate,
                         String schedule, double sigmaMin, double sigmaMax, int forwardIterations, int backwardIterations,
                         Path data, double phantomFraction, List<String> exclude, int validationImages, int validationSize,
                         long seed, double gamma, double tau, double sigmaScale, double tauExponent, int blocks,
                         io.equilibria.reconstruct.oder.OderSettings oder, double nullSpaceSigma,
                         io.equilibria.reconstruct.deq.DeqScalars.Start start) {
        public Config(DeqModel.Task task, DeqForm form, String gradient, String denoiserInit, DenoiserConfig net,
                      int patch, int batch, int epochs, int stepsPerEpoch, double learningRate, double scalarRate,
                      String schedule, double sigmaMin, double sigmaMax, int forwardIterations, int backwardIterations,
                      Path data, double phantomFraction, List<String> exclude, int validationImages, int validationSize,
                      long seed, double gamma, double tau, double sigmaScale, double tauExponent, int blocks,
                      io.equilibria.reconstruct.oder.OderSettings oder) {
            this(task, form, gradient, denoiserInit, net, patch, batch, epochs, stepsPerEpoch, learningRate, scalarRate,
                    schedule, sigmaMin, sigmaMax, forwardIterations, backwardIterations, data, phantomFraction, exclude,
                    validationImages, validationSize, seed, gamma, tau, sigmaScale, tauExponent, blocks, oder, 0, null);
        }

        public Config {
            if (start == null) start = io.equilibria.reconstruct.deq.DeqScalars.Start.TIKHONOV;
            if (!(nullSpaceSigma >= 0)) throw new IllegalArgumentException("null-space sigma must be >= 0");
            if (blocks < 1) throw new IllegalArgumentException("blocks must be >= 1, got " + blocks);
            if (oder != null && oder.batch() > blocks) {
                throw new IllegalArgumentException("ODER --batch " + oder.batch() + " is more than the " + blocks + " blocks per problem");
            }
            if (task == DeqModel.Task.CS && patch % 32 != 0) throw new IllegalArgumentException("CS patches must be a multiple of 32 (the block size), got " + patch);
            if (!(sigmaMin >= 0 && sigmaMax >= sigmaMin && sigmaMax <= 0.5)) throw new IllegalArgumentException("need 0 <= sigma-min <= sigma-max <= 0.5");
            if (forwardIterations < 1 || backwardIterations < 1) throw new IllegalArgumentException("iterations must be >= 1");
            if (!(scalarRate > 0)) throw new IllegalArgumentException("scalar rate must be > 0");
            exclude = List.copyOf(exclude);
        }

        public int totalSteps() { return epochs * stepsPerEpoch; }

        /** The denoiser-stage config whose data preparation (sources, split, validation patches) we share. */
        DenoiserTrainer.Config dataConfig() {
            return new DenoiserTrainer.Config(net, patch, batch, epochs, stepsPerEpoch, learningRate, schedule,
                    Math.max(sigmaMax, 1e-3), 0, data, phantomFraction, exclude, 0.1, validationImages, validationSize, seed);
        }

        DeqTrainer.Config trainer() {
            return new DeqTrainer.Config(form, gradient, forwardIterations, 1e-3, backwardIterations, 1e-4, learningRate, oder);
        }

        public Map<String, Object> settings() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("task", task.label());
            m.put("form", form.name().toLowerCase(Locale.ROOT));
            m.put("gradient", gradient);
            m.put("denoiserInit", denoiserInit);
            m.put("patch", patch);
            m.put("batch", batch);
            m.put("epochs", epochs);
            m.put("stepsPerEpoch", stepsPerEpoch);
            m.put("optimizer", "Adam(beta1 0.9, beta2 0.999, eps 1e-8); scalars at " + scalarRate + "x the rate");
            m.put("learningRate", learningRate);
            m.put("schedule", schedule);
            m.put("loss", "mean squared error of the fixed point x* against the ground truth");
            m.put("noise", task == DeqModel.Task.DEBLUR
                    ? "Gaussian sigma uniform in [" + sigmaMin + ", " + sigmaMax + "], half of the problems also Poisson with 50-1000 photons at 1.0"
                    : "Gaussian sigma uniform in [" + sigmaMin + ", " + sigmaMax + "]");
            m.put("operators", task == DeqModel.Task.DEBLUR
                    ? "periodic FFT blur; PSF Gaussian sigma 1-3 px or Airy NA 0.7-1.4, wavelength 450-650 nm, first ring at 1.5-4 px"
                      + (blocks > 1 ? "; " + blocks + " views per problem, PSFs stretched 2x at angles pi k/" + blocks + " plus a random rotation" : "")
                    : "block CS, 32x32 blocks, Gaussian or Walsh-Hadamard rows, 8 operators with ratios 0.1-0.5"
                      + (blocks > 1 ? ", rows in " + blocks + " groups" : ""));
            m.put("blocks", blocks);
            if (nullSpaceSigma > 0) m.put("nullSpaceSigma", nullSpaceSigma);
            if (start != io.equilibria.reconstruct.deq.DeqScalars.Start.TIKHONOV) m.put("start", start.name().toLowerCase(Locale.ROOT));
            if (oder != null) m.put("oder", oder.toMap());
            m.put("forwardSolver", (oder == null ? "anderson" : oder.solverSpec()) + ", at most " + forwardIterations + " iterations, tolerance 1e-3");
            m.put("backwardSolver", gradient + ", at most " + backwardIterations + " iterations, tolerance 1e-4");
            m.put("data", data == null ? null : data.toAbsolutePath().normalize().toString());
            m.put("phantomFraction", data == null ? 1.0 : phantomFraction);
            m.put("exclude", exclude);
            m.put("validationImages", validationImages);
            m.put("validationSize", validationSize);
            m.put("seed", seed);
            m.put("tauExponent", tauExponent);
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
        long t0 = System.nanoTime();
        DenoiserTrainer.Data data = DenoiserTrainer.prepare(c.dataConfig(), new DenoiserTrainer.Listener() {
            @Override public void message(String text) { listener.message(text); }
        });
        ProblemFactory.Task ptask = c.task() == DeqModel.Task.DEBLUR ? ProblemFactory.Task.DEBLUR : ProblemFactory.Task.CS;
        DenoiserConfig net = c.net();
        DeqModel model = new DeqModel(new DeqModel.Config(c.task(), c.form(), net, c.gamma(), c.tau(), c.sigmaScale(), c.tauExponent(),
                c.nullSpaceSigma(), c.start(), 1e-4));
        List<Map<String, Object>> history = new ArrayList<>();
        int startEpoch = 0;
        double previousSeconds = 0;
        float lr = (float) c.learningRate();
        Tracker schedule = switch (c.schedule()) {
            case "cosine" -> Tracker.cosine().setBaseValue(lr).optFinalValue(lr * 0.01f).setMaxUpdates(Math.max(1, c.totalSteps())).build();
            default -> Tracker.fixed(lr);
        };
        try (AdamOptimizer adam = new AdamOptimizer(manager, schedule);
             ProblemFactory train = new ProblemFactory(ptask, manager, c.patch(), c.sigmaMin(), c.sigmaMax(), c.seed(), c.blocks());
             ProblemFactory valFactory = new ProblemFactory(ptask, manager, c.validationSize(), c.sigmaMin(), c.sigmaMax(), VALIDATION_SEED, c.blocks())) {
            adam.setLearningRateScale(name -> java.util.Set.of("logGamma", "logTau", "logSigmaScale").contains(name) ? c.scalarRate() : 1.0);
            DenoiserTrainer.Checkpoint cp = resume ? DenoiserTrainer.Checkpoint.read(checkpointDir) : null;
            if (cp != null) {
                if (!DenoiserTrainer.json(cp.identity()).equals(DenoiserTrainer.json(c.identity()))) {
                    List<String> diff = new ArrayList<>();
                    Map<String, Object> now = c.identity();
                    for (String k : now.keySet()) {
                        if (!DenoiserTrainer.json(now.get(k)).equals(DenoiserTrainer.json(cp.identity().get(k)))) {
                            diff.add(k + " " + cp.identity().get(k) + " -> " + now.get(k));
                        }
                    }
                    throw new IllegalArgumentException("checkpoint in " + checkpointDir + " was made with other settings ("
                            + String.join("; ", diff) + "); only --epochs may change on --resume");
                }
                cp.load(model, model::initialize, adam, manager);
                history.addAll(cp.history());
                startEpoch = cp.epoch();
                previousSeconds = cp.seconds();
                listener.message("resumed from " + checkpointDir + " after epoch " + startEpoch + " (step " + adam.steps() + ")");
            } else {
                if (resume) listener.message("no checkpoint in " + checkpointDir + "; starting afresh");
                model.initialize(manager);
                if (c.denoiserInit() != null) {
                    io.equilibria.models.StoredModel init = ModelStore.load(c.denoiserInit(), manager);
                    TrainableDenoiser trained = (TrainableDenoiser) io.equilibria.priors.DenoiserHolder.load(c.denoiserInit(), manager);
                    copy(trained, model.denoiser(), manager);
                    listener.message("denoiser initialised from " + c.denoiserInit() + ": " + trained.describe());
                    if (init.block() instanceof DeqModel from) { // fine-tuning a DEQ (e.g. ODER from full batch): its scalars too
                        try (DeqScalars src = from.scalars(); DeqScalars dst = model.scalars()) {
                            for (int i = 0; i < 3; i++) dst.parameters().get(i).set(src.parameters().get(i).toFloatArray());
                            listener.message(String.format(Locale.ROOT, "scalars from %s: gamma %.4f, tau %.4f, sigma scale %.4f",
                                    c.denoiserInit(), dst.gammaValue(), dst.tauValue(), dst.sigmaScaleValue()));
                        }
                    }
                } else {
                    model.denoiser().prepareForTraining();
                }
            }
            DeqTrainer trainer = new DeqTrainer(c.trainer(), model, adam);
            List<ReconstructionProblem> validation = new ArrayList<>();
            List<Plane> valClean = data.validation().clean();
            for (int i = 0; i < valClean.size(); i++) {
                validation.add(valFactory.make(valClean.get(i), new SplittableRandom(VALIDATION_SEED + i)));
            }
            listener.message(model.describe());
            Map<String, Object> val = history.isEmpty() ? null : DenoiserTrainer.castMap(history.get(history.size() - 1).get("validation"));
            Object before = null; // PSNR of the starting model (epoch 1 keeps it, so a resumed run still knows it)
            if (history.isEmpty()) {
                Map<String, Object> b = validate(trainer, validation, data.validation().sources(), c.task());
                listener.message("validation before training: " + b);
                before = b.get("psnr");
            }
            long step = (long) startEpoch * c.stepsPerEpoch();
            for (int epoch = startEpoch; epoch < c.epochs(); epoch++) {
                long te = System.nanoTime();
                double lossSum = 0, fwd = 0, bwd = 0;
                int skipped = 0;
                for (int s = 0; s < c.stepsPerEpoch(); s++, step++) {
                    List<ReconstructionProblem> batch = batch(c, data.sampler(), train, step);
                    float rate = adam.currentLearningRate();
                    DeqTrainer.Step st;
                    try {
                        st = trainer.step(batch);
                    } finally {
                        batch.forEach(ReconstructionProblem::close);
                    }
                    if (Double.isFinite(st.loss())) lossSum += st.loss();
                    else {
                        skipped++;
                        listener.message("step " + (step + 1) + ": the forward solve diverged or the loss or a gradient is not finite; update skipped");
                    }
                    fwd += st.forwardIterations();
                    bwd += st.backwardIterations();
                    listener.step(epoch + 1, s + 1, c.stepsPerEpoch(), st, rate);
                }
                double trainSeconds = (System.nanoTime() - te) / 1e9;
                model.denoiser().refine();
                val = validate(trainer, validation, data.validation().sources(), c.task());
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("epoch", epoch + 1);
                summary.put("steps", (long) (epoch + 1) * c.stepsPerEpoch());
                summary.put("loss", lossSum / Math.max(1, c.stepsPerEpoch() - skipped));
                if (skipped > 0) summary.put("skippedSteps", skipped);
                summary.put("meanForwardIterations", fwd / c.stepsPerEpoch());
                summary.put("meanBackwardIterations", bwd / c.stepsPerEpoch());
                try (DeqScalars sc = model.scalars()) {
                    summary.put("gamma", sc.gammaValue());
                    summary.put("tau", sc.tauValue());
                    summary.put("sigmaScale", sc.sigmaScaleValue());
                }
                summary.put("seconds", (System.nanoTime() - te) / 1e9);
                summary.put("trainSeconds", trainSeconds);
                summary.put("validation", val);
                if (epoch == 0) summary.put("psnrBeforeTraining", before);
                history.add(summary);
                if (checkpointDir != null) {
                    DenoiserTrainer.Checkpoint.write(checkpointDir, c.identity(), model, adam, epoch + 1, history,
                            previousSeconds + (System.nanoTime() - t0) / 1e9);
                }
                listener.epoch(summary);
            }
            if (val == null) val = validate(trainer, validation, data.validation().sources(), c.task());
            if (before == null && !history.isEmpty()) before = castBefore(history.get(0));
            val = new LinkedHashMap<>(val);
            val.put("psnrBeforeTraining", before); // the same validation problems with the starting model
            validation.forEach(ReconstructionProblem::close);
            for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : model.getParameters()) p.getValue().getArray().setRequiresGradient(false);
            return new Result(model, c, history, val, data.sources(), previousSeconds + (System.nanoTime() - t0) / 1e9);
        }
    }

    private static Object castBefore(Map<String, Object> firstEpoch) {
        return firstEpoch.get("psnrBeforeTraining");
    }

    /** The problems of global step {@code step}: a pure function of (config, step). */
    static List<ReconstructionProblem> batch(Config c, PatchSampler sampler, ProblemFactory factory, long step) {
        List<PatchSampler.Patch> patches = sampler.sample(c.patch(), c.batch(), DenoiserTrainer.mix(c.seed(), 2 * step));
        SplittableRandom r = new SplittableRandom(DenoiserTrainer.mix(c.seed(), 2 * step + 1));
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
            throw new IllegalArgumentException("--denoiser has architecture " + from.config() + " but the DEQ asks for " + to.config());
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
