package io.equilibria.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.errors.OutputException;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.priors.DnCnn;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.train.DeqTrainer;
import io.equilibria.train.DataConfig;
import io.equilibria.train.DeqTraining;
import io.equilibria.train.loop.OptimizerConfig;
import io.equilibria.train.loop.ScheduleConfig;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code train deq}: a DEQ-RED or DEQ-PnP reconstruction trained end to end through its fixed point; {@code train oder}:
 * the same with ODER's minibatches of measurement blocks in the forward and the backward solve (same data and cards).
 */
final class TrainDeq implements TrainCommand.Subcommand {
    /** ODER's defaults: more views per problem than the full-batch DEQ's one, and more (cheaper) forward iterations. */
    private static final int ODER_BLOCKS = 8, ODER_FORWARD_ITERATIONS = 60;
    private final boolean oder;

    TrainDeq(boolean oder) { this.oder = oder; }

    @Override public String name() { return oder ? "oder" : "deq"; }
    @Override public String summary() {
        return oder ? "DEQ-RED with ODER minibatches of measurement blocks, forward and backward"
                : "DEQ-RED/PnP reconstruction, end to end through the fixed point";
    }

    @Override
    public List<Option> options() {
        List<Option> all = new java.util.ArrayList<>(common());
        all.add(Args.opt("blocks", "I", "measurement blocks per problem: views (deblur) or CS row groups (deq default 1, oder default 8)"));
        if (!oder) {
            all.add(Args.opt("3d", null, "3D deconvolution of z-stacks: problems from 3D phantoms, PSFs and Poisson-Gaussian noise "
                    + "(--denoiser defaults to deq-deblur, --batch to 1, --output to deq-deblur-3d); a 2D denoiser sees the xy, xz and yz planes, "
                    + "a 3D CNN (train denoiser --3d) the volume; oneDNN capped at SSE4.1 unless chosen"));
            all.add(Args.opt("volume", "LxD[-D2]", "with --3d: field of view side L and depth D (or a range D-D2) in voxels (default 48x24-32)"));
            all.add(Args.opt("psf-size", "LxD", "with --3d: odd lateral and axial PSF size (default 21x21)"));
            all.add(Args.opt("psf-pool", "N", "with --3d: PSFs built once per seed (default 24)"));
            all.add(Args.opt("photons", "MIN,MAX", "with --3d: photons at the blurred stack's 99.8th percentile, log-uniform (default 30,2000)"));
            all.add(Args.opt("read-noise", "MIN,MAX", "with --3d: Gaussian read noise in e- (default 1,4)"));
        }
        if (oder) {
            all.add(Args.opt("minibatch", "B", "blocks per iteration (default 2)"));
            all.add(Args.opt("sampling", "S", "uniform | stratified (default uniform)"));
            all.add(Args.opt("scaling", "S", "unbiased | raw (default unbiased)"));
            all.add(Args.opt("window", "W", "running-residual window of the forward solve (default 5)"));
            all.add(Args.opt("average", "A", "average of the last A iterates as the output (default 5)"));
        }
        return all;
    }

    private List<Option> common() {
        return List.of(
                Args.required("output", "NAME|DIR", "model name (writes models/NAME.params + NAME.json), a path DIR/NAME, or an "
                        + "existing folder (the name is then deq-TASK or deq-pnp-TASK)"),
                Args.opt("overwrite", null, "replace an existing model of that name"),
                Args.opt("task", "T", "deblur | cs (required)"),
                Args.opt("form", "F", "red | pnp (default red)"),
                Args.opt("gradient", "G", "ift | ift:SOLVER | jfb | neumann:K (default ift)"),
                Args.opt("denoiser", "NAME|PATH", "trained denoiser to start from, or a trained DEQ model (its denoiser and gamma, tau, s) "
                        + "(default dncnn-default; 'none' for He initialisation)"),
                Args.opt("depth", "D", "with --denoiser none: convolution layers (default 8)"),
                Args.opt("width", "W", "with --denoiser none: channels per hidden layer (default 32)"),
                Args.opt("data", "DIR", "folder of natural images mixed with phantoms (default: phantoms only)"),
                Args.opt("phantom-fraction", "F", "with --data: share of phantom patches (default 0.5)"),
                Args.opt("exclude", "GLOBS", "comma-separated file-name globs never used (default "
                        + String.join(",", DataConfig.DEFAULT_EXCLUDE) + "; 'none' for none)"),
                Args.opt("validation-images", "N", "validation images per source (default 4)"),
                Args.opt("patch", "P", "training patch side (default 64; a multiple of 32 for cs)"),
                Args.opt("batch", "B", "problems per step (default 4)"),
                Args.opt("epochs", "N", "epochs (default 4)"),
                Args.opt("steps-per-epoch", "N", "optimiser steps per epoch (default 100)"),
                Args.opt("lr", "LR", "Adam learning rate of the denoiser (default 5e-5)"),
                Args.opt("scalar-rate", "X", "the scalars' learning rate as a multiple of --lr (default 200)"),
                Args.opt("lr-schedule", "S", "cosine | constant (default cosine)"),
                Args.opt("sigma-min", "S", "smallest Gaussian noise sigma (default 0.002)"),
                Args.opt("sigma-max", "S", "largest Gaussian noise sigma (default 0.05)"),
                Args.opt("forward-iterations", "N", "iterations of the forward solve (deq: Anderson, default 30; oder: Nesterov, default 60)"),
                Args.opt("backward-iterations", "N", "iterations of the backward (implicit) solve (default 30)"),
                Args.opt("gamma", "G", "initial step (default 1 for red, 1 for pnp)"),
                Args.opt("tau", "T", "initial prior weight at noise sigma " + io.equilibria.reconstruct.deq.DeqScalars.SIGMA_REFERENCE + ", red only (default 0.2)"),
                Args.opt("tau-exponent", "P", "red: the prior weight scales as (sigma/" + io.equilibria.reconstruct.deq.DeqScalars.SIGMA_REFERENCE
                        + ")^P (default 2, the MAP scaling; 0 for one weight at every noise level)"),
                Args.opt("null-space-sigma", "NU", "cs: the prior's noise level grows with the unmeasured share f of the "
                        + "unknowns as sqrt(sigma^2 + (NU f)^2), so noise-free CS still has a prior (default 0)"),
                Args.opt("start", "S", "where the fixed-point iteration starts: tikhonov | tv (FISTA-TV) (default tikhonov)"),
                Args.opt("sigma-scale", "S", "initial scale of the noise level given to the denoiser (default 1)"),
                Args.opt("seed", "S", "seed of patches, operators and noise (default 42)"),
                Args.opt("checkpoint", "DIR", "save a checkpoint there after every epoch"),
                Args.opt("resume", null, "continue from the checkpoint in --checkpoint DIR (same settings; --epochs may grow)"),
                Args.opt("device", "D", "auto | cpu | gpu (default auto)"));
    }

    @Override
    public int run(CommandLine l, String commandLine) throws IOException {
        DeqModel.Task task;
        DeqForm form;
        if (!l.hasOption("task")) throw new UsageException("train deq needs --task deblur or --task cs");
        try {
            task = DeqModel.Task.parse(l.getOptionValue("task"));
            form = DeqForm.parse(l.getOptionValue("form", "red"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        boolean volume = !oder && l.hasOption("3d");
        if (!volume) {
            for (String o : List.of("volume", "psf-size", "psf-pool", "photons", "read-noise")) {
                if (l.hasOption(o)) throw new UsageException("--" + o + " applies only with --3d");
            }
        }
        if (volume && task != DeqModel.Task.DEBLUR) throw new UsageException("--3d trains deblurring (--task deblur)");
        if (volume) TrainDenoiser.volumeTrainingCap();
        String denoiser = l.getOptionValue("denoiser", volume ? "deq-deblur" : "dncnn-default");
        if (denoiser.equalsIgnoreCase("none")) denoiser = null;
        Path checkpoint = Args.path(l, "checkpoint");
        if (l.hasOption("resume") && checkpoint == null) throw new UsageException("--resume needs --checkpoint DIR");
        Path data = Args.path(l, "data");
        if (data != null && !Files.isDirectory(data)) throw new UsageException("--data must be a folder of images, got " + data);
        List<String> exclude = l.hasOption("exclude") ? globs(l.getOptionValue("exclude")) : DataConfig.DEFAULT_EXCLUDE;
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        TrainDenoiser.Target target = TrainDenoiser.target(l.getOptionValue("output"),
                oder ? io.equilibria.reconstruct.methods.LearnedReconstruction.defaultOderModel(task)
                        : volume ? io.equilibria.reconstruct.methods.LearnedReconstruction.defaultModel(task, form) + "-3d"
                        : io.equilibria.reconstruct.methods.LearnedReconstruction.defaultModel(task, form));
        for (Path p : List.of(target.params(), target.card())) {
            if (Files.exists(p) && !l.hasOption("overwrite")) {
                throw new OutputException(p, "exists; pass --overwrite to replace the model, or choose another --output");
            }
        }
        Files.createDirectories(target.dir());
        try (NDManager m = Compute.manager(device)) {
            io.equilibria.priors.DenoiserConfig net;
            if (denoiser != null) {
                if (l.hasOption("depth") || l.hasOption("width")) throw new UsageException("--depth/--width apply only with --denoiser none");
                net = ((io.equilibria.priors.TrainableDenoiser) io.equilibria.priors.DenoiserHolder.load(denoiser, m)).config(); // fails early on a bad denoiser
            } else {
                net = DnCnn.Config.defaults().withDepth(Args.integer(l, "depth", 8)).withWidth(Args.integer(l, "width", 32));
            }
            DeqTraining.Config c;
            try {
                io.equilibria.reconstruct.oder.OderSettings os = null;
                if (oder) {
                    if (form != DeqForm.RED) throw new UsageException("ODER trains DEQ-RED models (--form red)");
                    os = new io.equilibria.reconstruct.oder.OderSettings(Args.integer(l, "minibatch", 2),
                            io.equilibria.reconstruct.oder.BlockSampler.Kind.parse(l.getOptionValue("sampling", "uniform")),
                            io.equilibria.reconstruct.oder.MinibatchData.Scaling.parse(l.getOptionValue("scaling", "unbiased")),
                            Args.lng(l, "seed", DeqTraining.Config.DEFAULT_SEED), Args.integer(l, "window", 5), Args.integer(l, "average", 5), true);
                }
                DataConfig dd = DeqTraining.Config.DEFAULT_DATA;
                DeqTraining.Problems dp = DeqTraining.Problems.DEFAULT;
                DeqTraining.Scalars ds = DeqTraining.Scalars.DEFAULT;
                OptimizerConfig dopt = DeqTraining.Config.DEFAULT_OPTIMIZER;
                c = new DeqTraining.Config(task, form, denoiser, net,
                        new DataConfig(Args.integer(l, "patch", dd.patch()), Args.integer(l, "batch", volume ? 1 : dd.batch()), data,
                                Args.dbl(l, "phantom-fraction", dd.phantomFraction()), exclude, dd.validationFraction(),
                                Args.integer(l, "validation-images", dd.validationImages()), dd.validationSize()),
                        new DeqTraining.Problems(Args.dbl(l, "sigma-min", dp.sigmaMin()), Args.dbl(l, "sigma-max", dp.sigmaMax()),
                                Args.integer(l, "blocks", oder ? ODER_BLOCKS : dp.blocks())),
                        new ScheduleConfig(Args.integer(l, "epochs", DeqTraining.Config.DEFAULT_SCHEDULE.epochs()),
                                Args.integer(l, "steps-per-epoch", DeqTraining.Config.DEFAULT_SCHEDULE.stepsPerEpoch())),
                        new OptimizerConfig(Args.dbl(l, "lr", dopt.learningRate()), l.getOptionValue("lr-schedule", dopt.schedule())),
                        Args.dbl(l, "scalar-rate", DeqTraining.Config.DEFAULT_SCALAR_RATE),
                        new DeqTraining.Solver(l.getOptionValue("gradient", DeqTraining.Solver.DEFAULT.gradient()),
                                Args.integer(l, "forward-iterations", oder ? ODER_FORWARD_ITERATIONS : DeqTraining.Solver.DEFAULT.forwardIterations()),
                                Args.integer(l, "backward-iterations", DeqTraining.Solver.DEFAULT.backwardIterations()), os),
                        new DeqTraining.Scalars(Args.dbl(l, "gamma", ds.gamma()), Args.dbl(l, "tau", ds.tau()),
                                Args.dbl(l, "sigma-scale", ds.sigmaScale()), Args.dbl(l, "tau-exponent", ds.tauExponent()),
                                Args.dbl(l, "null-space-sigma", ds.nullSpaceSigma()),
                                Args.choice(l, "start", io.equilibria.reconstruct.deq.DeqScalars.Start.class, ds.start())),
                        Args.lng(l, "seed", DeqTraining.Config.DEFAULT_SEED), volume ? volumeSettings(l) : null);
                io.equilibria.deq.GradientMode.parse(c.solver().gradient(), io.equilibria.solvers.SolverOptions.of(1, 1e-3));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            System.out.println("equilibria: training " + (oder ? "ODER (DEQ-RED, " + c.oder().batch() + " of " + c.problems().blocks()
                    + " blocks per iteration)" : "DEQ-" + form) + " for " + task.label() + " '" + target.name() + "' on "
                    + Compute.describe(device) + ": " + c.schedule().epochs() + " epochs x " + c.schedule().stepsPerEpoch() + " steps, batch "
                    + c.data().batch() + " of " + (c.volume() ? c.volumes().lateral() + "x" + c.volumes().lateral() + "x" + c.volumes().depthMin()
                    + (c.volumes().depthMax() > c.volumes().depthMin() ? "-" + c.volumes().depthMax() : "") + " voxels (z-stacks)"
                    : c.data().patch() + "x" + c.data().patch()) + ", gradient " + c.solver().gradient()
                    + ", seed " + c.seed());
            try (Progress progress = new Progress("train " + name(), c.schedule().totalSteps())) {
                DeqTraining.Result r = DeqTraining.train(m, c, checkpoint, l.hasOption("resume"), new Printer(c, progress));
                ModelCard card = ModelStore.save(target.dir(), DeqTraining.card(target.name(), r, commandLine), r.model());
                System.out.println("equilibria: wrote " + target.params() + " (" + card.parameterBytes() + " bytes, sha256 "
                        + card.sha256() + ") and " + target.card());
                System.out.println("validation: " + Json.text(card.validation()));
            }
        }
        return ExitCodes.OK;
    }

    /** --volume, --psf-size, --psf-pool, --photons, --read-noise over the defaults. */
    static io.equilibria.train.VolumeProblemFactory.Settings volumeSettings(CommandLine l) {
        io.equilibria.train.VolumeProblemFactory.Settings s = io.equilibria.train.VolumeProblemFactory.Settings.DEFAULT;
        try {
            int lat = s.lateral(), d0 = s.depthMin(), d1 = s.depthMax();
            if (l.hasOption("volume")) {
                String[] ld = l.getOptionValue("volume").toLowerCase(Locale.ROOT).split("x");
                String[] d = ld[1].split("-");
                lat = Integer.parseInt(ld[0].trim());
                d0 = Integer.parseInt(d[0].trim());
                d1 = Integer.parseInt(d[d.length - 1].trim());
            }
            int pl = s.psfLateral(), pd = s.psfDepth();
            if (l.hasOption("psf-size")) {
                String[] p = l.getOptionValue("psf-size").toLowerCase(Locale.ROOT).split("x");
                pl = Integer.parseInt(p[0].trim());
                pd = Integer.parseInt(p[1].trim());
            }
            double[] ph = pair(l, "photons", s.photonsMin(), s.photonsMax()), rn = pair(l, "read-noise", s.readMin(), s.readMax());
            return new io.equilibria.train.VolumeProblemFactory.Settings(lat, d0, d1, pl, pd, Args.integer(l, "psf-pool", s.psfPool()),
                    ph[0], ph[1], rn[0], rn[1]);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new UsageException("--volume takes LxD or LxD-D2 and --psf-size LxD (voxels), e.g. --volume 48x24-32 --psf-size 21x21; "
                    + "--photons and --read-noise take MIN,MAX");
        }
    }

    private static double[] pair(CommandLine l, String name, double a, double b) {
        if (!l.hasOption(name)) return new double[] {a, b};
        String[] v = l.getOptionValue(name).split(",");
        if (v.length != 2) throw new UsageException("--" + name + " takes MIN,MAX");
        return new double[] {Double.parseDouble(v[0].trim()), Double.parseDouble(v[1].trim())};
    }

    private static List<String> globs(String v) {
        if (v.trim().equalsIgnoreCase("none")) return List.of();
        return Arrays.stream(v.split(",")).map(String::trim).filter(g -> !g.isEmpty()).toList();
    }

    private static final class Printer implements DeqTraining.Listener {
        private final DeqTraining.Config c;
        private final Progress progress;
        private final int every;
        private final boolean console = System.console() != null;
        private long t0 = System.nanoTime(), done;
        private double loss, fwd, bwd;
        private int count;

        Printer(DeqTraining.Config c, Progress progress) {
            this.c = c;
            this.progress = progress;
            this.every = Math.max(1, c.schedule().stepsPerEpoch() / 10);
        }

        @Override public void message(String text) { System.out.println("equilibria: " + text); }

        @Override
        public void step(int epoch, int step, int stepsPerEpoch, DeqTrainer.Step s, double lr) {
            long global = (long) (epoch - 1) * stepsPerEpoch + step;
            progress.step(global, String.format(Locale.ROOT, "epoch %d loss %.3e", epoch, s.loss()));
            if (done++ == 0) t0 = System.nanoTime();
            loss += s.loss();
            fwd += s.forwardIterations();
            bwd += s.backwardIterations();
            count++;
            if (!console && (step % every == 0 || step == stepsPerEpoch)) {
                double perStep = done > 1 ? (System.nanoTime() - t0) / 1e9 / (done - 1) : Double.NaN;
                System.out.printf(Locale.ROOT, "epoch %d/%d step %d/%d  loss %.4e  fwd %.1f bwd %.1f iterations  lr %.2e  %.2f s/step  ~%.1f min left%n",
                        epoch, c.schedule().epochs(), step, stepsPerEpoch, loss / count, fwd / count, bwd / count, lr, perStep,
                        (c.schedule().totalSteps() - global) * perStep / 60);
                loss = fwd = bwd = 0;
                count = 0;
            }
        }

        @Override
        public void epoch(Map<String, Object> s) {
            System.out.println("epoch " + s.get("epoch") + ": " + Json.text(s).replace("\n", " "));
            System.out.flush();
        }
    }
}
