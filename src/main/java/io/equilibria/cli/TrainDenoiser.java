package io.equilibria.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.errors.OutputException;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.priors.DenoiserConfig;
import io.equilibria.priors.DnCnn;
import io.equilibria.priors.DnCnn3d;
import io.equilibria.priors.UNet;
import io.equilibria.train.DataConfig;
import io.equilibria.train.DenoiserTrainer;
import io.equilibria.train.TrainingNoise;
import io.equilibria.train.VolumePatches;
import io.equilibria.train.loop.OptimizerConfig;
import io.equilibria.train.loop.ScheduleConfig;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** {@code train denoiser}: a spectrally normalised DnCNN on phantoms (and optionally a folder of images). */
final class TrainDenoiser implements TrainCommand.Subcommand {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    @Override public String name() { return "denoiser"; }
    @Override public String summary() { return "learned prior: bias-free U-Net (default) or spectrally normalised DnCNN; --3d: a 3D CNN of z-stacks"; }

    @Override
    public List<Option> options() {
        DenoiserTrainer.Config d = DenoiserTrainer.Config.defaults();
        return List.of(
                Args.required("output", "NAME|DIR", "model name (writes models/NAME.params + NAME.json), a path "
                        + "DIR/NAME, or an existing folder (the name is then dncnn-dDEPTH-wWIDTH)"),
                Args.opt("overwrite", null, "replace an existing model of that name"),
                Args.opt("data", "DIR", "folder of natural images (TIFF/PNG/JPEG) mixed with phantoms (default: phantoms only)"),
                Args.opt("phantom-fraction", "F", "with --data: share of phantom patches (default " + d.data().phantomFraction() + ")"),
                Args.opt("exclude", "GLOBS", "comma-separated file-name globs never used (default "
                        + String.join(",", DataConfig.DEFAULT_EXCLUDE) + ": the evaluation images; 'none' for none)"),
                Args.opt("validation-fraction", "F", "with --data: share of files held out for validation (default " + d.data().validationFraction() + ")"),
                Args.opt("validation-images", "N", "validation images per source (default " + d.data().validationImages() + "; with --3d: validation volumes, default "
                        + VolumePatches.Settings.DEFAULT.validationVolumes() + ")"),
                Args.opt("patch", "P", "patch side in pixels (default " + d.data().patch() + ")"),
                Args.opt("batch", "B", "patches per step (default " + d.data().batch() + "; " + DenoiserTrainer.Config.DEFAULT_VOLUME_DATA.batch() + " with --3d)"),
                Args.opt("epochs", "N", "epochs (default " + d.schedule().epochs() + ")"),
                Args.opt("steps-per-epoch", "N", "optimiser steps per epoch (default " + d.schedule().stepsPerEpoch() + ")"),
                Args.opt("lr", "LR", "Adam learning rate (default " + d.optimizer().learningRate() + ")"),
                Args.opt("lr-schedule", "S", "cosine (to 1% at the end) | step (x0.2 at 50% and 75%) | constant (default " + d.optimizer().schedule() + ")"),
                Args.opt("sigma-max", "S", "largest noise sigma in [0,1] units; sigma uniform in [0, S] per patch (default " + d.noise().sigmaMax() + "; "
                        + DenoiserTrainer.Config.DEFAULT_VOLUME_NOISE.sigmaMax() + " with --3d)"),
                Args.opt("sigma-distribution", "D", "uniform | low (half the draws sigma-max*u^2: more weak noise) (default uniform)"),
                Args.opt("camera-fraction", "F", "share of patches with Poisson-Gaussian camera noise instead of Gaussian (default " + d.noise().cameraFraction() + ")"),
                Args.opt("arch", "A", "unet (multi-scale, bias-free) | dncnn (spectrally normalised) (default unet)"),
                Args.opt("widths", "W,W,..", "unet: channels per level, finest first (default "
                        + UNet.Config.defaults().widths().toString().replaceAll("[\\[\\] ]", "") + ")"),
                Args.opt("blocks", "N", "unet: residual blocks per level and path (default " + UNet.Config.defaults().blocks() + ")"),
                Args.opt("depth", "D", "dncnn: convolution layers (default " + DnCnn.Config.defaults().depth() + "; " + DnCnn3d.Config.defaults().depth() + " with --3d)"),
                Args.opt("width", "W", "dncnn: channels per hidden layer (default " + DnCnn.Config.defaults().width() + "; " + DnCnn3d.Config.defaults().width() + " with --3d)"),
                Args.opt("spectral-bound", "C", "dncnn: operator-norm bound per convolution (default " + DnCnn.Config.defaults().bound() + "; "
                        + DnCnn3d.Config.defaults().bound() + " with --3d)"),
                Args.opt("seed", "S", "seed of weights, patches and noise: same seed, same model on the CPU with one thread, -Dai.djl.pytorch.num_threads=1 (default " + d.seed() + ")"),
                Args.opt("checkpoint", "DIR", "save a checkpoint there after every epoch"),
                Args.opt("resume", null, "continue from the checkpoint in --checkpoint DIR (same settings; --epochs may grow)"),
                Args.opt("device", "D", "auto | cpu | gpu (default auto)"),
                Args.opt("3d", null, "a 3D CNN prior of z-stacks (3x3x3 spectrally normalised DnCNN, default depth "
                        + DnCnn3d.Config.defaults().depth() + ", width " + DnCnn3d.Config.defaults().width() + ", spectral bound "
                        + DnCnn3d.Config.defaults().bound() + ") on 3D phantom patches, half of them blurred by a 3D PSF, Gaussian "
                        + "noise (sigma-max default " + DenoiserTrainer.Config.DEFAULT_VOLUME_NOISE.sigmaMax() + "); batch default "
                        + DenoiserTrainer.Config.DEFAULT_VOLUME_DATA.batch()),
                Args.opt("volume", "LxD", "with --3d: patch side L and depth D in voxels (default "
                        + VolumePatches.Settings.DEFAULT.lateral() + "x" + VolumePatches.Settings.DEFAULT.depth() + ")"),
                Args.opt("psf-size", "LxD", "with --3d: odd lateral and axial size of the blurring PSFs (default "
                        + VolumePatches.Settings.DEFAULT.psfLateral() + "x" + VolumePatches.Settings.DEFAULT.psfDepth() + ")"),
                Args.opt("psf-pool", "N", "with --3d: PSFs built once per seed (default " + VolumePatches.Settings.DEFAULT.psfPool() + ")"),
                Args.opt("blur-fraction", "F", "with --3d: share of patches blurred by their PSF (default "
                        + VolumePatches.Settings.DEFAULT.blurFraction() + ")"));
    }

    /** Options of 2D patches that a --3d run refuses rather than ignores. */
    private static final List<String> IMAGE_ONLY = List.of("data", "phantom-fraction", "exclude", "validation-fraction", "patch",
            "camera-fraction", "widths", "blocks");
    private static final List<String> VOLUME_ONLY = List.of("volume", "psf-size", "psf-pool", "blur-fraction");

    @Override
    public int run(CommandLine l, String commandLine) throws IOException {
        if (l.hasOption("3d")) return runVolume(l, commandLine);
        for (String o : VOLUME_ONLY) if (l.hasOption(o)) throw new UsageException("--" + o + " applies only with --3d");
        DenoiserTrainer.Config d = DenoiserTrainer.Config.defaults();
        DenoiserConfig net = architecture(l);
        Path data = Args.path(l, "data");
        if (data != null && !Files.isDirectory(data)) throw new UsageException("--data must be a folder of images, got " + data);
        if (l.hasOption("phantom-fraction") && data == null) throw new UsageException("--phantom-fraction needs --data");
        List<String> exclude = l.hasOption("exclude") ? globs(l.getOptionValue("exclude")) : DataConfig.DEFAULT_EXCLUDE;
        int patch = positive(l, "patch", d.data().patch());
        if (patch < 8) throw new UsageException("--patch must be >= 8");
        DenoiserTrainer.Config c;
        try {
            DataConfig dd = d.data();
            c = new DenoiserTrainer.Config(net,
                    new DataConfig(patch, positive(l, "batch", dd.batch()), data, Args.dbl(l, "phantom-fraction", dd.phantomFraction()),
                            exclude, Args.dbl(l, "validation-fraction", dd.validationFraction()),
                            positive(l, "validation-images", dd.validationImages()), dd.validationSize()),
                    new ScheduleConfig(positive(l, "epochs", d.schedule().epochs()), positive(l, "steps-per-epoch", d.schedule().stepsPerEpoch())),
                    new OptimizerConfig(Args.dbl(l, "lr", d.optimizer().learningRate()), l.getOptionValue("lr-schedule", d.optimizer().schedule())),
                    new TrainingNoise(Args.dbl(l, "sigma-max", d.noise().sigmaMax()), Args.dbl(l, "camera-fraction", d.noise().cameraFraction()),
                            Args.choice(l, "sigma-distribution", TrainingNoise.Distribution.class, TrainingNoise.Distribution.UNIFORM)),
                    Args.lng(l, "seed", d.seed()));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return train(l, commandLine, c, "batch " + c.data().batch() + " of " + patch + "x" + patch + ", sigma in [0, "
                + c.noise().sigmaMax() + "], " + (data == null ? "phantoms only" : "data " + data + " with phantom fraction "
                + c.data().phantomFraction()));
    }

    /** {@code train denoiser --3d}: a {@link DnCnn3d} on {@link VolumePatches}. */
    private int runVolume(CommandLine l, String commandLine) throws IOException {
        volumeTrainingCap();
        for (String o : IMAGE_ONLY) if (l.hasOption(o)) throw new UsageException("--" + o + " does not apply with --3d (volume patches: --volume, --psf-size, --psf-pool, --blur-fraction)");
        String arch = l.getOptionValue("arch", "dncnn").trim().toLowerCase(Locale.ROOT);
        if (!arch.equals("dncnn") && !arch.equals("dncnn3d")) throw new UsageException("--3d trains a 3D DnCNN (--arch dncnn), got --arch " + arch);
        DenoiserTrainer.Config d = DenoiserTrainer.Config.volumeDefaults();
        DnCnn3d.Config dn = DnCnn3d.Config.defaults();
        DnCnn3d.Config net = dn.withDepth(positive(l, "depth", dn.depth())).withWidth(positive(l, "width", dn.width()));
        double bound = Args.dbl(l, "spectral-bound", dn.bound());
        Args.positive("spectral-bound", bound);
        if (net.depth() < 2) throw new UsageException("--depth must be >= 2");
        net = net.withBound(bound);
        VolumePatches.Settings vs = d.volumes();
        DenoiserTrainer.Config c;
        try {
            if (l.hasOption("volume")) {
                int[] ld = sizes(l, "volume");
                vs = vs.withPatch(ld[0], ld[1]);
            }
            if (l.hasOption("psf-size") || l.hasOption("psf-pool")) {
                int[] p = l.hasOption("psf-size") ? sizes(l, "psf-size") : new int[] {vs.psfLateral(), vs.psfDepth()};
                vs = vs.withPsf(p[0], p[1], positive(l, "psf-pool", vs.psfPool()));
            }
            vs = vs.withBlurFraction(Args.dbl(l, "blur-fraction", vs.blurFraction()))
                    .withValidationVolumes(positive(l, "validation-images", vs.validationVolumes()));
            DataConfig dd = d.data();
            c = new DenoiserTrainer.Config(net,
                    new DataConfig(dd.patch(), positive(l, "batch", dd.batch()), null, dd.phantomFraction(), dd.exclude(),
                            dd.validationFraction(), dd.validationImages(), dd.validationSize()),
                    new ScheduleConfig(positive(l, "epochs", d.schedule().epochs()), positive(l, "steps-per-epoch", d.schedule().stepsPerEpoch())),
                    new OptimizerConfig(Args.dbl(l, "lr", d.optimizer().learningRate()), l.getOptionValue("lr-schedule", d.optimizer().schedule())),
                    new TrainingNoise(Args.dbl(l, "sigma-max", d.noise().sigmaMax()), 0,
                            Args.choice(l, "sigma-distribution", TrainingNoise.Distribution.class, TrainingNoise.Distribution.UNIFORM)),
                    Args.lng(l, "seed", d.seed()), vs);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        VolumePatches.Settings v = c.volumes();
        return train(l, commandLine, c, "batch " + c.data().batch() + " of " + v.lateral() + "x" + v.lateral() + "x" + v.depth()
                + " voxels (3D phantoms, " + Math.round(100 * v.blurFraction()) + "% blurred by " + v.psfLateral() + "x" + v.psfLateral()
                + "x" + v.psfDepth() + " PSFs from a pool of " + v.psfPool() + "), sigma in [0, " + c.noise().sigmaMax() + "]");
    }

    /**
     * 3D training caps oneDNN at SSE4.1 unless the user chose a level (see {@link io.equilibria.compute.OneDnn#capForVolumeTraining}):
     * above it the 3×3×3 convolutions' gradients were wrong here. Says so when another cap holds.
     */
    static void volumeTrainingCap() {
        if (!io.equilibria.compute.OneDnn.capForVolumeTraining()) {
            System.out.println("equilibria: warning: oneDNN is not capped at SSE4.1 (-Dequilibria.onednn.isa=SSE41): on AVX2/AVX-512 CPUs "
                    + "the gradients of 3D convolutions were wrong (AMD EPYC, PyTorch 2.7.1), so this training may not learn");
        }
    }

    /** LxD from option {@code name}. */
    private static int[] sizes(CommandLine l, String name) {
        String[] p = l.getOptionValue(name).toLowerCase(Locale.ROOT).split("x");
        try {
            if (p.length != 2) throw new NumberFormatException();
            return new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim())};
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " takes LxD (lateral x depth in voxels), e.g. 32x24; got '" + l.getOptionValue(name) + "'");
        }
    }

    /** Trains as configured and writes the model; {@code what} describes the data for the first line. */
    private int train(CommandLine l, String commandLine, DenoiserTrainer.Config c, String what) throws IOException {
        Path checkpoint = Args.path(l, "checkpoint");
        if (l.hasOption("resume") && checkpoint == null) throw new UsageException("--resume needs --checkpoint DIR");
        Target target = target(l.getOptionValue("output"), c.net());
        for (Path p : List.of(target.params(), target.card())) {
            if (Files.exists(p) && !l.hasOption("overwrite")) {
                throw new OutputException(p, "exists; pass --overwrite to replace the model, or choose another --output");
            }
        }
        Files.createDirectories(target.dir());
        if (!Files.isWritable(target.dir())) throw new OutputException(target.dir(), "is not writable");
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        System.out.println("equilibria: training denoiser '" + target.name() + "' on " + Compute.describe(device) + ": "
                + c.schedule().epochs() + " epochs x " + c.schedule().stepsPerEpoch() + " steps, " + what + ", seed " + c.seed());
        DenoiserTrainer.Result result;
        try (NDManager m = Compute.manager(device); Progress progress = new Progress("train", c.schedule().totalSteps())) {
            result = DenoiserTrainer.train(m, c, checkpoint, l.hasOption("resume"), new Printer(c, progress));
            ModelCard card = ModelStore.save(target.dir(), DenoiserTrainer.card(target.name(), result, commandLine), result.net());
            System.out.println("equilibria: wrote " + target.params() + " (" + card.parameterBytes() + " bytes, sha256 "
                    + card.sha256() + ") and " + target.card());
            System.out.println("validation: " + Json.text(card.validation()));
        }
        return ExitCodes.OK;
    }

    record Target(Path dir, String name) {
        Path params() { return dir.resolve(name + ModelStore.PARAMS); }
        Path card() { return dir.resolve(name + ModelStore.CARD); }
    }

    /** NAME → models/NAME; DIR (existing, or ending in a separator) → DIR/dncnn-dD-wW; DIR/NAME[.params|.json]. */
    static Target target(String output, DenoiserConfig net) {
        return target(output, net instanceof DnCnn.Config c ? "dncnn-d" + c.depth() + "-w" + c.width()
                : net instanceof DnCnn3d.Config c3 ? "dncnn3d-d" + c3.depth() + "-w" + c3.width()
                : "unet-" + String.join("-", ((UNet.Config) net).widths().stream().map(String::valueOf).toList()));
    }

    /** --arch with its own options; the other architecture's options are refused rather than ignored. */
    static DenoiserConfig architecture(CommandLine l) {
        String arch = l.getOptionValue("arch", "unet").trim().toLowerCase(Locale.ROOT);
        List<String> dncnnOnly = List.of("depth", "width", "spectral-bound"), unetOnly = List.of("widths", "blocks");
        switch (arch) {
            case "dncnn" -> {
                for (String o : unetOnly) if (l.hasOption(o)) throw new UsageException("--" + o + " applies only to --arch unet");
                DnCnn.Config d = DnCnn.Config.defaults();
                DnCnn.Config net = d.withDepth(positive(l, "depth", d.depth())).withWidth(positive(l, "width", d.width()));
                double bound = Args.dbl(l, "spectral-bound", d.bound());
                Args.positive("spectral-bound", bound);
                if (net.depth() < 2) throw new UsageException("--depth must be >= 2");
                return net.withBound(bound);
            }
            case "unet" -> {
                for (String o : dncnnOnly) if (l.hasOption(o)) throw new UsageException("--" + o + " applies only to --arch dncnn");
                UNet.Config d = UNet.Config.defaults();
                List<Integer> widths = d.widths();
                if (l.hasOption("widths")) {
                    try {
                        widths = Arrays.stream(l.getOptionValue("widths").split(",")).map(String::trim).map(Integer::parseInt).toList();
                    } catch (NumberFormatException e) {
                        throw new UsageException("--widths must be comma-separated integers, got '" + l.getOptionValue("widths") + "'");
                    }
                }
                try {
                    return new UNet.Config(widths, positive(l, "blocks", d.blocks()), 0);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
            default -> throw new UsageException("--arch must be unet or dncnn, got '" + arch + "'");
        }
    }

    /** As above, with {@code folderName} the model name when {@code output} is a folder. */
    static Target target(String output, String folderName) {
        String s = output.trim();
        if (NAME.matcher(s).matches() && !s.endsWith(ModelStore.PARAMS) && !s.endsWith(ModelStore.CARD)) {
            return new Target(Paths.get("models"), s);
        }
        Path p = Paths.get(s);
        if (Files.isDirectory(p) || s.endsWith("/") || s.endsWith(java.io.File.separator)) {
            return new Target(p, folderName);
        }
        String n = p.getFileName().toString();
        if (n.endsWith(ModelStore.PARAMS)) n = n.substring(0, n.length() - ModelStore.PARAMS.length());
        else if (n.endsWith(ModelStore.CARD)) n = n.substring(0, n.length() - ModelStore.CARD.length());
        if (!NAME.matcher(n).matches()) throw new UsageException("model name must be letters, digits, '.', '_' or '-', got '" + n + "'");
        Path dir = p.getParent() == null ? Paths.get(".") : p.getParent();
        return new Target(dir, n);
    }

    private static List<String> globs(String v) {
        if (v.trim().equalsIgnoreCase("none")) return List.of();
        return Arrays.stream(v.split(",")).map(String::trim).filter(g -> !g.isEmpty()).toList();
    }

    private static int positive(CommandLine l, String name, int dflt) {
        int v = Args.integer(l, name, dflt);
        if (v < 1) throw new UsageException("--" + name + " must be >= 1, got " + v);
        return v;
    }

    /** Progress bar on a console; otherwise a line every tenth of an epoch, so logs show progress and timing. */
    private static final class Printer implements DenoiserTrainer.Listener {
        private final DenoiserTrainer.Config c;
        private final Progress progress;
        private final int every;
        private long t0 = System.nanoTime(), done;
        private double recent;
        private int recentCount;
        private final boolean console = System.console() != null;

        Printer(DenoiserTrainer.Config c, Progress progress) {
            this.c = c;
            this.progress = progress;
            this.every = Math.max(1, c.schedule().stepsPerEpoch() / 10);
        }

        @Override
        public void message(String text) {
            System.out.println("equilibria: " + text);
        }

        @Override
        public void step(int epoch, int step, int stepsPerEpoch, double loss, double lr) {
            if (done++ == 0) { // time from the end of the first step: it includes start-up work
                t0 = System.nanoTime();
                return;
            }
            recent += loss;
            recentCount++;
            long global = (long) (epoch - 1) * stepsPerEpoch + step;
            progress.step(global, String.format(Locale.ROOT, "epoch %d loss %.3e", epoch, loss));
            if (!console && (step % every == 0 || step == stepsPerEpoch)) {
                double perStep = (System.nanoTime() - t0) / 1e9 / (done - 1);
                long left = c.schedule().totalSteps() - global;
                System.out.printf(Locale.ROOT, "epoch %d/%d step %d/%d  loss %.4e  lr %.2e  %.3f s/step  ~%.1f min left%n",
                        epoch, c.schedule().epochs(), step, stepsPerEpoch, recent / recentCount, lr, perStep, left * perStep / 60);
                recent = 0;
                recentCount = 0;
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public void epoch(Map<String, Object> s) {
            Map<String, Object> v = (Map<String, Object>) s.get("validation");
            System.out.printf(Locale.ROOT, "epoch %s: loss %.4e, %.0f s; validation PSNR %s (noisy %s), blind %s%s%n",
                    s.get("epoch"), (Double) s.get("loss"), (Double) s.get("seconds"), v.get("psnr"), v.get("noisyPsnr"),
                    v.get("blindPsnr"), s.containsKey("spectralNorms") ? "; spectral norms " + s.get("spectralNorms") : "");
            System.out.flush();
        }
    }
}
