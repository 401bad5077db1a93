package io.equilibria.cli;

import ai.djl.Device;
import io.equilibria.compute.Compute;
import io.equilibria.image.ChannelChoice;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;
import io.equilibria.errors.OutputException;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.MeasurementFile;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfSpec;
import io.equilibria.reconstruct.methods.CompressedSensingReconstruction;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.errors.NumericalException;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import io.equilibria.batch.BatchPlan;
import io.equilibria.batch.BatchReport;
import io.equilibria.batch.Journal;
import io.equilibria.batch.Selection;
import io.equilibria.batch.Shard;
import io.equilibria.batch.Throughput;
import io.equilibria.reconstruct.tiling.MemoryModel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code reconstruct deblur|cs}: one file, or every image in a directory (outputs mirrored under --output). In a
 * batch a failing image is reported and skipped; the exit code then says some failed.
 */
final class ReconstructCommand implements Command {
    @Override public String name() { return "reconstruct"; }
    @Override public String summary() { return "deblur images or reconstruct compressed-sensing measurements"; }
    @Override public String arguments() { return "deblur|cs"; }

    @Override
    public Options options() {
        return new Options()
                .addOption(Args.required("input", "PATH", "image / measurement file, or a directory of them"))
                .addOption(Args.required("output", "PATH", "output 32-bit TIFF (or directory when --input is one)"))
                .addOption(Args.opt("method", "M", "deblur: rl | rltv | wiener | tv | deq | pnp | oder (default rl); cs: tv | wiener | deq | pnp | oder (default tv). "
                        + "deq/pnp: learned DEQ-RED / DEQ-PnP (a trained model, see --model); oder: DEQ-RED with a random minibatch of "
                        + "--batch measurement blocks (frames of --multi-frame, CS row groups) per iteration"))
                .addOption(Args.opt("model", "NAME|PATH", "deq/pnp/oder: model name in models/ or a model file (default deq-deblur / deq-cs; "
                        + "pnp: deq-pnp-deblur / deq-pnp-cs; oder: oder-deblur / oder-cs)"))
                .addOption(Args.opt("solver", "S", "deq/pnp/oder: fixed-point solver, e.g. anderson | anderson:m=5,lambda=1e-4 | picard:beta=0.5 | broyden:m=30 | "
                        + "nesterov:window=W,average=A (default anderson; oder: nesterov with --window and --average)"))
                .addOption(Args.opt("strength", "S", "deq/pnp: prior strength, a multiple of the noise level the learned prior "
                        + "sees: auto (deblur: chosen per image by Stein's unbiased estimate of the prediction error, SURE, "
                        + "which also blends the result with the Laplacian-penalised Wiener at its own SURE-best weight, "
                        + "by the blend weight of least SURE (0 = the Wiener alone); the report and the summary say which; "
                        + "cs: chosen by cross-validation, one measurement row in 10 held out) | auto:deq (the same without the "
                        + "Wiener) | a number (1 = the model as trained) (default auto)"))
                .addOption(Args.opt("batch", "B", "oder: measurement blocks per iteration (default 2)"))
                .addOption(Args.opt("sampling", "S", "oder: uniform (B blocks without replacement) | stratified (one block from each of B "
                        + "contiguous strata) (default uniform)"))
                .addOption(Args.opt("scaling", "S", "oder: unbiased (minibatch gradient x I/B) | raw (unscaled, RED weight tau x B/I) (default unbiased)"))
                .addOption(Args.opt("window", "W", "oder: stop when the mean relative change of the last W iterations is below the tolerance (default 5)"))
                .addOption(Args.opt("average", "A", "oder: the result is the mean of the last A iterates (default 5; 1 = last iterate)"))
                .addOption(Args.opt("seed", "N", "oder: seed of the minibatch draws (default 0)"))
                .addOption(Args.opt("step", "S", "oder: safe (step shortened to 1/L, same fixed point; default) | model (the model's own step, "
                        + "for Anderson)"))
                .addOption(Args.opt("psf", "SPEC", "deblur: FILE | gaussian:SIGMA_PX | airy:NA,LAMBDA_NM,PIXEL_NM"))
                .addOption(Args.opt("iterations", "N", "iterations (default per method: rl 30, rltv 50, tv 100 (deblur) / 300 (cs), wiener <=200 CG, deq/pnp <= "
                        + MethodConfig.DEQ_ITERATIONS + ", oder <= " + MethodConfig.ODER_ITERATIONS + " solver iterations)"))
                .addOption(Args.opt("lambda", "L", "regularisation weight (rltv: TV weight; wiener: Tikhonov; tv: TV); default from the noise level"))
                .addOption(Args.opt("tolerance", "T", "stop when the relative change (tv, wiener) or fixed-point residual (deq, pnp, oder; default "
                        + MethodConfig.DEQ_TOLERANCE + ") falls below T"))
                .addOption(Args.opt("multi-frame", null, "deblur: the stack's K planes are K observations of one scene; PSF has K slices"))
                .addOption(Args.opt("boundary", "B", "deblur: extended | zero | periodic (default extended: no wrap-around)"))
                .addOption(Args.opt("normalize", "N", "deblur: scale (divide by the 99.8th percentile above the camera offset; "
                        + "nothing clipped) | percentile[:LO,HI] (subtract the LO-th percentile) | minmax | none (default scale)"))
                .addOption(Args.opt("offset", "O", "deblur: camera offset in input units, subtracted before and added back "
                        + "after: a number | auto (16-bit images with a flat dark background: estimated from it, less what its shot noise shows to be signal) | none "
                        + "(default auto; the report says which was used)"))
                .addOption(Args.opt("noise-sigma", "S", "noise sigma in input units (deblur default: estimated from the image, robust MAD; "
                        + "cs default: from the measurement file, else estimated for deq/pnp)"))
                .addOption(Args.opt("reference", "GT|DIR", "deblur: ground truth; for one image the report then holds the PSNR after every iteration "
                        + "and the best iteration; for a directory, a directory holding each image's ground truth at the same relative path "
                        + "(any image extension), and every report row gets PSNR and SSIM"))
                .addOption(Args.opt("recursive", null, "directory input: also process images in subdirectories (outputs mirror the tree)"))
                .addOption(Args.opt("include", "GLOB", "directory input: only files matching GLOB (repeatable; matched against the file name, "
                        + "or the relative path if GLOB holds '/'), e.g. '*.tif'"))
                .addOption(Args.opt("exclude", "GLOB", "directory input: skip files matching GLOB (repeatable)"))
                .addOption(Args.opt("shard", "I/N", "directory input: process only shard I of N (1 <= I <= N) of the sorted file list, "
                        + "so N jobs (e.g. a SLURM array) cover the batch exactly once"))
                .addOption(Args.opt("resume", null, "directory input: skip images a previous run of this batch finished (its journal "
                        + "OUTPUT/.equilibria-batch*.jsonl says so and the output exists); failed or interrupted ones are redone"))
                .addOption(Args.opt("max-memory", "SIZE", "deblur: memory budget, e.g. 2g or 1500m (default: 3/4 of the machine's memory); "
                        + "an image that does not fit is solved in overlapping tiles, blended seamlessly"))
                .addOption(Args.opt("tile", "N", "deblur: solve in overlapping tiles of at most N x N pixels (plus halo) whatever the memory budget"))
                .addOption(Args.opt("warm-start", "MODE", "deblur stacks with deq/pnp/oder: on (each slice starts from the previous slice's "
                        + "fixed point; default) | off | verify (also solve every slice cold and report the iterations saved and the difference)"))
                .addOption(Args.opt("channel", "C", "for colour input: red|green|blue|luminance or a channel number"))
                .addOption(Args.opt("side-by-side", "PNG", "deblur, single image: also run Richardson-Lucy (30 iterations) and write input | RL | result as one PNG"))
                .addOption(Args.opt("report", "R.json|R.csv", "write a report: JSON (method, iterations, device, time, parameters; a batch "
                        + "adds a summary and a row per image) or, for a name ending .csv, one CSV row per image"))
                .addOption(Args.opt("device", "D", "auto | cpu | gpu (default auto)"));
    }

    @Override
    @SuppressWarnings("unchecked")
    public int run(CommandLine l) throws Exception {
        List<String> rest = l.getArgList();
        if (rest.size() != 1 || !(rest.get(0).equals("deblur") || rest.get(0).equals("cs"))) {
            throw new UsageException("say what to reconstruct: deblur or cs");
        }
        boolean cs = rest.get(0).equals("cs");
        String methodName = l.getOptionValue("method", cs ? "tv" : "rl");
        List<String> allowed = cs ? MethodConfig.CS_METHODS : MethodConfig.DEBLUR_METHODS;
        if (!allowed.contains(methodName)) {
            throw new UsageException("unknown method '" + methodName + "' for " + rest.get(0) + " (choose from " + allowed + ")");
        }
        int iterations = Args.integer(l, "iterations", 0);
        if (l.hasOption("iterations") && iterations < 1) throw new UsageException("--iterations must be >= 1");
        double lambda = Args.dbl(l, "lambda", Double.NaN);
        if (l.hasOption("lambda")) Args.nonNegative("lambda", lambda);
        boolean learned = MethodConfig.of(methodName).learned();
        for (String o : List.of("model", "solver")) {
            if (l.hasOption(o) && !learned) throw new UsageException("--" + o + " applies only to --method deq, pnp or oder");
        }
        io.equilibria.reconstruct.deq.PriorStrength strength = io.equilibria.reconstruct.deq.PriorStrength.AUTO;
        if (l.hasOption("strength")) {
            if (!methodName.equals("deq") && !methodName.equals("pnp")) throw new UsageException("--strength applies only to --method deq or pnp");
            try {
                strength = io.equilibria.reconstruct.deq.PriorStrength.parse(l.getOptionValue("strength"));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--strength: " + e.getMessage());
            }
        }
        io.equilibria.reconstruct.oder.OderSettings oder = null;
        for (String o : List.of("batch", "sampling", "scaling", "window", "average", "seed", "step")) {
            if (l.hasOption(o) && !methodName.equals("oder")) throw new UsageException("--" + o + " applies only to --method oder");
        }
        if (methodName.equals("oder")) {
            try {
                oder = new io.equilibria.reconstruct.oder.OderSettings(Args.integer(l, "batch", 2),
                        io.equilibria.reconstruct.oder.BlockSampler.Kind.parse(l.getOptionValue("sampling", "uniform")),
                        io.equilibria.reconstruct.oder.MinibatchData.Scaling.parse(l.getOptionValue("scaling", "unbiased")),
                        Args.integer(l, "seed", 0), Args.integer(l, "window", 5), Args.integer(l, "average", 5),
                        !l.getOptionValue("step", "safe").equals("model"));
                if (l.hasOption("step") && !List.of("safe", "model").contains(l.getOptionValue("step"))) {
                    throw new UsageException("--step must be safe or model, got '" + l.getOptionValue("step") + "'");
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        if (l.hasOption("solver")) {
            try {
                io.equilibria.solvers.Solvers.parse(l.getOptionValue("solver"));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        MethodConfig method = new MethodConfig(methodName, iterations, lambda, Args.dbl(l, "tolerance", Double.NaN),
                l.getOptionValue("model"), l.getOptionValue("solver"), oder, strength);
        if (learned) io.equilibria.models.ModelStore.resolve(method.modelName(cs)); // fail early on a missing model
        double csNoise = Double.NaN;
        if (cs && l.hasOption("noise-sigma")) {
            csNoise = Args.dbl(l, "noise-sigma", Double.NaN);
            Args.nonNegative("noise-sigma", csNoise);
        }
        Psf psf = null;
        Deconvolution.Options options = null;
        ChannelChoice channel = ChannelChoice.parse(l.getOptionValue("channel"));
        if (!cs) {
            if (!l.hasOption("psf")) throw new UsageException("--psf is required for deblur");
            psf = PsfSpec.parse(l.getOptionValue("psf")).load();
            Boundary boundary = Boundary.parse(l.getOptionValue("boundary", "extended"));
            double noise = Args.dbl(l, "noise-sigma", Double.NaN);
            if (l.hasOption("noise-sigma")) Args.nonNegative("noise-sigma", noise);
            String normalize = l.getOptionValue("normalize", "scale").trim();
            if (normalize.equals("scale")) {
                try {
                    normalize = io.equilibria.image.Normalization.scaleSpec(l.getOptionValue("offset", "auto"));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--offset: " + e.getMessage());
                }
            } else if (l.hasOption("offset")) {
                throw new UsageException("--offset applies to --normalize scale (the default); --normalize " + normalize + " fits its own low level");
            }
            try {
                io.equilibria.image.Normalization.fit(normalize, new float[] {0f, 1f}); // validate the spec early
            } catch (IllegalArgumentException e) {
                throw new UsageException("--normalize: " + e.getMessage());
            }
            ImageData reference = null;
            if (l.hasOption("reference") && !java.nio.file.Files.isDirectory(Args.path(l, "input"))) {
                reference = ImageFiles.read(Args.path(l, "reference"), channel);
                ImageFiles.requireFinite(reference, l.getOptionValue("reference"));
            }
            options = new Deconvolution.Options(boundary, normalize, l.hasOption("multi-frame"), noise, reference)
                    .withWarmStart(Deconvolution.WarmStart.parse(l.getOptionValue("warm-start", "on")))
                    .withMaxMemory(l.hasOption("max-memory") ? MemoryModel.parseBytes(l.getOptionValue("max-memory")) : 0)
                    .withTileCore(Args.integer(l, "tile", 0));
            if (l.hasOption("tile") && Args.integer(l, "tile", 0) < 64) throw new UsageException("--tile must be >= 64");
        }
        for (String o : List.of("max-memory", "warm-start", "tile")) {
            if (l.hasOption(o) && cs) throw new UsageException("--" + o + " applies to deblur");
        }
        Path input = Args.path(l, "input"), output = Args.path(l, "output");
        boolean batch = java.nio.file.Files.isDirectory(input);
        for (String o : List.of("recursive", "include", "exclude", "shard", "resume")) {
            if (l.hasOption(o) && !batch) throw new UsageException("--" + o + " applies when --input is a directory");
        }
        Path referenceDir = batch && l.hasOption("reference") ? Args.path(l, "reference") : null;
        if (referenceDir != null && !java.nio.file.Files.isDirectory(referenceDir)) {
            throw new UsageException("--input is a directory, so --reference must be a directory of ground truths");
        }
        if (referenceDir != null && cs) throw new UsageException("--reference applies to deblur");
        Shard shard = Shard.parse(l.getOptionValue("shard"));
        Selection selection = new Selection(l.hasOption("recursive"), values(l, "include"), values(l, "exclude"), shard);
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        java.nio.file.Path sideBySide = Args.path(l, "side-by-side");
        if (sideBySide != null && cs) throw new UsageException("--side-by-side applies to deblur");
        if (sideBySide != null && batch) throw new UsageException("--side-by-side needs a single input image");
        List<BatchPlan.Job> jobs = BatchPlan.plan(input, output, selection);
        System.err.println("equilibria: " + rest.get(0) + " with method " + methodName + " on " + Compute.describe(device)
                + (batch ? ", " + jobs.size() + " image(s)" + (shard.isAll() ? "" : " in shard " + shard) : ""));
        List<Map<String, Object>> rows = new ArrayList<>();
        int failed = 0, resumed = 0;
        Throughput throughput = new Throughput(jobs.size());
        try (Journal journal = batch ? new Journal(output, shard) : null;
             Progress progress = new Progress(batch ? "images" : methodName, batch ? jobs.size() : 1)) {
            if (journal != null && l.hasOption("resume")) journal.load();
            int done = 0;
            for (BatchPlan.Job job : jobs) {
                Map<String, Object> earlier = journal != null && l.hasOption("resume") ? journal.finished(job) : null;
                if (earlier != null) {
                    Map<String, Object> row = new LinkedHashMap<>(earlier);
                    row.put("resumed", true);
                    rows.add(row);
                    resumed++;
                    progress.step(++done, null);
                    continue;
                }
                if (batch) Journal.removeStaleParts(job.output());
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("relative", job.relative().toString());
                row.put("input", job.input().toString());
                row.put("output", job.output().toString());
                try {
                    Deconvolution.Outcome o;
                    ImageData img = null;
                    if (cs) {
                        MeasurementFile.Contents meas = MeasurementFile.read(job.input());
                        o = CompressedSensingReconstruction.run(meas, method, device,
                                batch ? io.equilibria.solvers.IterationListener.NONE : progress.iterations(0), csNoise);
                    } else {
                        img = ImageFiles.read(job.input(), channel);
                        ImageFiles.requireFinite(img, job.input().toString());
                        final Psf p = psf;
                        if (!options.multiFrame()) p.requireFits(img.width(), img.height());
                        if (!batch) progress.maxHint((long) img.size() * Math.max(1, iterations > 0 ? iterations : 100));
                        o = Deconvolution.run(img, p, method, options, device, (plane, planes) ->
                                batch ? io.equilibria.solvers.IterationListener.NONE : progress.iterations(0));
                    }
                    ImageData ref = referenceDir != null ? ImageFiles.read(BatchPlan.reference(referenceDir, job.relative()), channel)
                            : (!batch && !cs && l.hasOption("reference") ? options.reference() : null);
                    Map<String, Object> scores = ref != null ? Scores.of(ref, o.image()) : Map.of();
                    ImageFiles.writeFloatTiff(o.image(), job.output());
                    if (sideBySide != null) {
                        Deconvolution.Outcome rl = Deconvolution.run(img, psf, MethodConfig.of("rl"), options, device,
                                Deconvolution.PlaneListener.NONE);
                        Object it = firstPlane(o.report(), "iterations");
                        String label = method.learned() ? (methodName.equals("deq") ? "DEQ-RED" : methodName.equals("oder") ? "ODER" : "DEQ-PnP") : methodName.toUpperCase();
                        if (firstPlane(o.report(), "parameters") instanceof Map<?, ?> pp && "wiener".equals(pp.get("result"))) {
                            label = "Wiener (chosen by SURE over " + label + ")"; // the panel says what it shows
                        } else if (firstPlane(o.report(), "parameters") instanceof Map<?, ?> pp && "blend".equals(pp.get("result"))) {
                            label = String.format(java.util.Locale.ROOT, "%.2f %s + %.2f Wiener (SURE)", ((Number) pp.get("blendWeight")).doubleValue(),
                                    label, 1 - ((Number) pp.get("blendWeight")).doubleValue());
                        }
                        io.equilibria.report.SideBySide.write(sideBySide, List.of(
                                new io.equilibria.report.SideBySide.Panel("input", img.planes().get(0)),
                                new io.equilibria.report.SideBySide.Panel("Richardson-Lucy, " + firstPlane(rl.report(), "iterations") + " it.", rl.image().planes().get(0)),
                                new io.equilibria.report.SideBySide.Panel(label + ", " + it + " it.", o.image().planes().get(0))), 2);
                        System.err.println("equilibria: wrote " + sideBySide + " (input | RL | " + methodName + ")");
                    }
                    row.put("status", "ok");
                    row.putAll(BatchReport.row(o.report()));
                    row.putAll(scores);
                    row.put("peakRssMiB", Math.round(io.equilibria.compute.ProcessMemory.peakRssMiB()));
                    row.put("report", o.report());
                    System.err.println("equilibria: wrote " + job.output() + " (" + summary(o.report())
                            + (scores.isEmpty() ? "" : String.format(java.util.Locale.ROOT, ", PSNR %.2f dB, SSIM %.4f", scores.get("psnr"), scores.get("ssim")))
                            + ")" + (batch ? " [" + throughput.describe(done + 1 - resumed) + "]" : ""));
                } catch (InputException | NumericalException | OutputException | io.equilibria.errors.MemoryException e) {
                    if (!batch) throw e;
                    failed++;
                    row.put("status", "failed");
                    row.put("error", e.getMessage());
                    System.err.println("equilibria: skipped " + job.input() + ": " + e.getMessage());
                }
                if (journal != null) journal.append(row);
                rows.add(row);
                progress.step(++done, null);
            }
        }
        if (l.hasOption("report")) {
            if (batch) {
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("input", input.toString());
                summary.put("output", output.toString());
                summary.put("shard", shard.toString());
                summary.put("images", jobs.size());
                summary.put("processed", jobs.size() - resumed);
                summary.put("resumed", resumed);
                summary.put("failed", failed);
                summary.put("device", Compute.describe(device));
                summary.put("peakRssMiB", Math.round(io.equilibria.compute.ProcessMemory.peakRssMiB()));
                BatchReport.write(Args.path(l, "report"), summary, rows);
            } else {
                Map<String, Object> single = new LinkedHashMap<>(((Map<String, Object>) rows.get(0).get("report")));
                for (String k : List.of("psnr", "ssim", "peakRssMiB")) if (rows.get(0).containsKey(k)) single.put(k, rows.get(0).get(k));
                if (Args.path(l, "report").toString().toLowerCase(java.util.Locale.ROOT).endsWith(".csv")) {
                    BatchReport.write(Args.path(l, "report"), Map.of(), rows);
                } else {
                    Json.write(Args.path(l, "report"), single);
                }
            }
        }
        if (batch) {
            System.err.println("equilibria: " + (jobs.size() - resumed - failed) + " processed, " + resumed + " already done (--resume), "
                    + failed + " failed, of " + jobs.size() + (shard.isAll() ? "" : " in shard " + shard)
                    + "; journal " + new Journal(output, shard).file());
        }
        if (failed > 0) {
            System.err.println("equilibria: " + failed + " of " + jobs.size() + " image(s) failed");
            return ExitCodes.PARTIAL;
        }
        return ExitCodes.OK;
    }

    private static List<String> values(CommandLine l, String name) {
        String[] v = l.getOptionValues(name);
        return v == null ? List.of() : List.of(v);
    }

    /** A report entry, from the first plane's report for deblurring (which reports per plane). */
    @SuppressWarnings("unchecked")
    static Object firstPlane(Map<String, Object> r, String key) {
        Object v = r.get(key);
        if (v == null && r.get("planes") instanceof List<?> planes && !planes.isEmpty()) v = ((Map<String, Object>) planes.get(0)).get(key);
        return v;
    }

    @SuppressWarnings("unchecked")
    static String summary(Map<String, Object> r) {
        Object it = firstPlane(r, "iterations");
        Object params = firstPlane(r, "parameters");
        String learned = "";
        if (params instanceof Map && ((Map<String, Object>) params).containsKey("model")) {
            Map<String, Object> p = (Map<String, Object>) params;
            learned = ", model " + p.get("model") + ", solver " + p.get("solver") + ", residual "
                    + String.format(java.util.Locale.ROOT, "%.2e", ((Number) p.get("solverResidual")).doubleValue())
                    + (Boolean.TRUE.equals(p.get("converged")) ? " (converged)" : " (NOT converged)")
                    + (p.get("strength") instanceof Number st ? String.format(java.util.Locale.ROOT, ", prior strength %.3g%s", st.doubleValue(),
                    p.get("searchIterations") instanceof Number n ? " (chosen by " + p.getOrDefault("strengthChosenBy", "SURE") + ", " + n
                    + " search iterations)" : "") : "")
                    + ("wiener".equals(p.get("result")) ? String.format(java.util.Locale.ROOT, "; RESULT: the Laplacian-penalised Wiener at lambda %.3g,"
                    + " whose SURE was lower than the DEQ's (the DEQ map was not applied)", ((Number) p.get("wienerLambda")).doubleValue()) : "")
                    + ("blend".equals(p.get("result")) ? String.format(java.util.Locale.ROOT, "; RESULT: %.2f x the DEQ + %.2f x the Laplacian-penalised"
                    + " Wiener at lambda %.3g (the blend of least SURE)", ((Number) p.get("blendWeight")).doubleValue(),
                    1 - ((Number) p.get("blendWeight")).doubleValue(), ((Number) p.get("wienerLambda")).doubleValue()) : "");
        }
        return "method " + r.get("method") + learned + ", " + it + " iterations, device " + r.get("device")
                + String.format(", %.2f s", ((Number) r.get("seconds")).doubleValue());
    }
}
