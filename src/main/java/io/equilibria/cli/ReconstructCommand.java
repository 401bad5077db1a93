package io.equilibria.cli;

import io.equilibria.batch.Selection;
import io.equilibria.batch.Shard;
import io.equilibria.compute.Compute;
import io.equilibria.errors.Setting;
import io.equilibria.image.ChannelChoice;
import io.equilibria.image.Normalization;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.PsfSpec;
import io.equilibria.reconstruct.deq.PriorStrength;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.oder.BlockSampler;
import io.equilibria.reconstruct.oder.MinibatchData;
import io.equilibria.reconstruct.oder.OderSettings;
import io.equilibria.reconstruct.tiling.MemoryModel;
import io.equilibria.run.ReconstructRequest;
import io.equilibria.run.ReconstructRunner;
import io.equilibria.run.RunFiles;
import io.equilibria.solvers.Solvers;
import io.equilibria.image.registration.RegistrationSpec;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import java.util.List;

/**
 * {@code reconstruct deblur|cs}: translates the options into a {@link ReconstructRequest} and {@link RunFiles} for
 * {@link ReconstructRunner}; in a batch a failing image is skipped, and the exit code then says some failed. Public so
 * that other front ends (the Spark job) take exactly these options and build exactly this request.
 */
public final class ReconstructCommand implements Command {
    @Override public String name() { return "reconstruct"; }
    @Override public String summary() { return "deblur images or reconstruct compressed-sensing measurements"; }
    @Override public String arguments() { return "deblur|cs"; }
    @Override public Options options() { return ReconstructOptions.options(); }
    @Override public Setting.Names settingNames() { return ReconstructOptions::flag; }

    @Override
    public int run(CommandLine l) throws Exception {
        boolean cs = compressedSensing(l);
        String methodName = l.getOptionValue("method", cs ? "tv" : "rl");
        ReconstructRequest request = request(l, cs);
        RunFiles files = files(l);
        try (Progress progress = new Progress(files.batch() ? "images" : methodName, 1)) {
            ReconstructRunner.Summary s = ReconstructRunner.run(request, files, new ConsoleRunListener(progress, files.batch(), settingNames()));
            return s.failed() > 0 ? ExitCodes.PARTIAL : ExitCodes.OK;
        }
    }

    /**
     * The request the options describe ({@code cs}: reconstruct cs, else deblur), checked as the command checks it.
     * {@code bench 3d} builds its runs with it, so it measures what a user's command line gets.
     */
    public static ReconstructRequest request(CommandLine l, boolean cs) {
        String methodName = l.getOptionValue("method", cs ? "tv" : "rl");
        if (l.hasOption("iterations") && Args.integer(l, "iterations", 0) < 1) throw new UsageException("--iterations must be >= 1");
        MethodConfig method = new MethodConfig(methodName, Args.integer(l, "iterations", 0), Args.dbl(l, "lambda", Double.NaN),
                Args.dbl(l, "tolerance", Double.NaN), l.getOptionValue("model"), l.getOptionValue("solver"), oder(l),
                l.hasOption("strength") ? parsed("strength", () -> PriorStrength.parse(l.getOptionValue("strength"))) : PriorStrength.AUTO);
        if (l.hasOption("solver")) parsed("solver", () -> Solvers.parse(l.getOptionValue("solver")));
        ReconstructRequest request = cs
                ? ReconstructRequest.cs(method, Args.dbl(l, "noise-sigma", Double.NaN), Compute.resolve(l.getOptionValue("device", "auto")))
                : ReconstructRequest.deblur(method, l.hasOption("psf") ? PsfSpec.loadChannels(List.of(l.getOptionValues("psf")),
                        l.hasOption("multi-frame"), l.hasOption("3d")) : List.of(), deblur(l), Compute.resolve(l.getOptionValue("device", "auto")));
        for (String o : cs ? List.of("max-memory", "warm-start", "tile", "reference", "side-by-side", "boundary", "normalize", "offset",
                "multi-frame", "3d", "register", "follow-drift") : List.<String>of()) {
            if (l.hasOption(o)) throw new UsageException("--" + o + " applies to deblur");
        }
        return request;
    }

    /** The task word after {@code reconstruct}: true for cs, false for deblur; anything else is a usage error. */
    public static boolean compressedSensing(CommandLine l) {
        List<String> rest = l.getArgList();
        if (rest.size() != 1 || !List.of("deblur", "cs").contains(rest.get(0))) throw new UsageException("say what to reconstruct: deblur or cs");
        return rest.get(0).equals("cs");
    }

    /** Where the run reads and writes, as the options say. */
    public static RunFiles files(CommandLine l) {
        Selection selection = new Selection(l.hasOption("recursive"), values(l, "include"), values(l, "exclude"), Shard.parse(l.getOptionValue("shard")));
        RunFiles files = new RunFiles(Args.path(l, "input"), Args.path(l, "output"), ChannelChoice.parse(l.getOptionValue("channel")),
                selection, l.hasOption("resume"), Args.path(l, "reference"), Args.path(l, "side-by-side"), Args.path(l, "report"));
        for (String o : files.batch() ? List.<String>of() : List.of("recursive", "include", "exclude", "shard", "resume")) {
            if (l.hasOption(o)) throw new UsageException("--" + o + " applies when --input is a directory");
        }
        return files;
    }

    /** The deblur options, or null for CS (whose own options are checked by the request). */
    private static Deconvolution.Options deblur(CommandLine l) {
        String normalize = l.getOptionValue("normalize", "scale").trim();
        if (normalize.equals("scale")) normalize = parsed("offset", () -> Normalization.scaleSpec(l.getOptionValue("offset", "auto")));
        else if (l.hasOption("offset")) {
            throw new UsageException("--offset applies to --normalize scale (the default); --normalize " + normalize + " fits its own low level");
        }
        String spec = normalize;
        parsed("normalize", () -> Normalization.fit(spec, new float[] {0f, 1f}));
        if (l.hasOption("tile") && Args.integer(l, "tile", 0) < 64) throw new UsageException("--tile must be >= 64");
        return new Deconvolution.Options(Boundary.parse(l.getOptionValue("boundary", "extended")), normalize, l.hasOption("multi-frame"),
                Args.dbl(l, "noise-sigma", Double.NaN), null)
                .withWarmStart(Deconvolution.WarmStart.parse(l.getOptionValue("warm-start", "on")))
                .withMaxMemory(l.hasOption("max-memory") ? MemoryModel.parseBytes(l.getOptionValue("max-memory")) : 0)
                .withTileCore(Args.integer(l, "tile", 0))
                .withVolume(l.hasOption("3d"))
                .withRegistration(registration(l))
                .withFollowDrift(onOff(l, "follow-drift", true));
    }

    private static boolean onOff(CommandLine l, String option, boolean fallback) {
        if (!l.hasOption(option)) return fallback;
        return switch (l.getOptionValue(option).trim().toLowerCase(java.util.Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new UsageException("--" + option + " must be on or off, got '" + l.getOptionValue(option) + "'");
        };
    }

    /** --register and its settings, or null; the settings without --register are a usage error. */
    private static RegistrationSpec registration(CommandLine l) {
        if (!l.hasOption("register")) {
            for (String o : List.of("motion", "reference-frame", "min-confidence")) {
                if (l.hasOption(o)) throw new UsageException("--" + o + " applies with --register");
            }
            return null;
        }
        if (!l.hasOption("multi-frame")) throw new UsageException("--register applies to --multi-frame (the frames of one scene)");
        return RegistrationArgs.parse(l);
    }

    /** ODER's settings when any is given or the method is oder, else null. */
    private static OderSettings oder(CommandLine l) {
        if (!l.getOptionValue("method", "").equals("oder") && List.of("batch", "sampling", "scaling", "window", "average", "seed", "step")
                .stream().noneMatch(l::hasOption)) return null;
        if (!List.of("safe", "model").contains(l.getOptionValue("step", "safe"))) {
            throw new UsageException("--step must be safe or model, got '" + l.getOptionValue("step") + "'");
        }
        return parsed("batch", () -> new OderSettings(Args.integer(l, "batch", 2), BlockSampler.Kind.parse(l.getOptionValue("sampling", "uniform")),
                MinibatchData.Scaling.parse(l.getOptionValue("scaling", "unbiased")), Args.integer(l, "seed", 0), Args.integer(l, "window", 5),
                Args.integer(l, "average", 5), !l.getOptionValue("step", "safe").equals("model")));
    }

    /** A value parsed by the core; its complaint becomes a usage error naming the option. */
    private static <T> T parsed(String option, java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + option + ": " + e.getMessage());
        }
    }

    private static List<String> values(CommandLine l, String name) {
        return l.getOptionValues(name) == null ? List.of() : List.of(l.getOptionValues(name));
    }
}
