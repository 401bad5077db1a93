package io.equilibria.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.bench.LearnedBenchmark;
import io.equilibria.compute.Compute;
import io.equilibria.compute.ProcessMemory;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.models.ModelCache;
import io.equilibria.models.StoredModel;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.SensingMatrix;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.train.data.PatchSampler;
import io.equilibria.train.data.PhantomGenerator;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code bench learned}: the CLI side of {@link LearnedBenchmark} (evaluation set, speed and memory sections). */
final class LearnedBench {
    /** Seeds of the evaluation phantoms: far from the validation seeds and from any training draw's stream. */
    static final long EVAL_SEED = 0xE7A1_5EED_0000L;
    /** Evaluation images shipped in the repository and excluded from all training (see the model cards). */
    static final List<String> BUILT_IN = List.of("sample-images/skimage_camera.png", "sample-images/skimage_cell_qpi.png");

    private LearnedBench() {}

    static int run(CommandLine l) throws IOException {
        int size = Args.integer(l, "size", 256);
        if (size < 64 || size % 32 != 0) throw new UsageException("--size must be a multiple of 32, at least 64");
        int phantoms = Args.integer(l, "phantoms", 4);
        if (phantoms < 0) throw new UsageException("--phantoms must be >= 0");
        int memSize = Args.integer(l, "memory-size", 2048);
        String deblurModel = l.getOptionValue("deblur-model", "deq-deblur"), csModel = l.getOptionValue("cs-model", "deq-cs");
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        List<LearnedBenchmark.Image> images = evaluationSet(size, phantoms, Args.path(l, "images"));
        System.out.println("# bench learned");
        System.out.println();
        System.out.println("device: " + Compute.describe(device) + "; models: " + deblurModel + ", " + csModel
                + "; evaluation set (" + images.size() + " images, " + size + "x" + size + ", none used in training): "
                + String.join(", ", images.stream().map(LearnedBenchmark.Image::name).toList()));
        System.out.println("Each cell: PSNR (dB) / SSIM against the ground truth, data range 1. Classical methods get their best "
                + "parameter chosen with the ground truth; the DEQ runs with its defaults and the noise level estimated from the data.");
        long seed = 20261122L;
        try (NDManager m = Compute.manager(device)) {
            LearnedBenchmark b = new LearnedBenchmark(m, System.out, deblurModel, csModel);
            b.deblur("Deblurring: Gaussian PSF sigma 2 px, Gaussian noise sigma 0.01", Psf.of(PsfGenerator.gaussian(2, 0), "gaussian:2"),
                    0.01, 0, images, seed);
            double pixelNm = 0.61 * 520 / 1.2 / 2.5; // first dark ring at 2.5 px
            b.deblur(String.format(Locale.ROOT, "Deblurring: Airy PSF NA 1.2, 520 nm, pixel %.0f nm (first ring 2.5 px), Poisson noise at 200 photons per unit intensity + Gaussian sigma 0.005", pixelNm),
                    Psf.of(PsfGenerator.airy(1.2, 520, pixelNm, 0), "airy"), 0.005, 200, images, seed + 1000);
            b.compressedSensing("Compressed sensing: block Gaussian 32x32, ratio 0.25, noise sigma 0.01", SensingMatrix.Kind.GAUSSIAN,
                    0.25, 0.01, images, seed + 2000);
            if (l.hasOption("csv")) writeCsv(Args.path(l, "csv"), b.rows);
            speed(m, device, deblurModel);
            if (memSize > 0) memory(m, memSize, deblurModel, device);
        }
        return ExitCodes.OK;
    }

    /** Centre crops of the built-in and user images (min–max to [0, 1]) and phantoms of each kind. */
    static List<LearnedBenchmark.Image> evaluationSet(int size, int phantoms, Path extra) {
        List<Path> files = new ArrayList<>();
        for (String s : BUILT_IN) {
            Path p = Paths.get(s);
            if (!Files.isRegularFile(p)) throw new UsageException("built-in evaluation image " + s + " not found: run from the repository root");
            files.add(p);
        }
        if (extra != null) {
            if (!Files.isDirectory(extra)) throw new UsageException("--images must be a folder, got " + extra);
            files.addAll(PatchSampler.listImages(extra));
        }
        List<LearnedBenchmark.Image> out = new ArrayList<>();
        for (Path p : files) {
            Plane full = ImageFiles.read(p).planes().get(0);
            if (full.width() < size || full.height() < size) {
                System.out.println("(skipping " + p + ": smaller than " + size + "x" + size + ")");
                continue;
            }
            out.add(new LearnedBenchmark.Image(p.getFileName().toString().replaceFirst("\\.[^.]+$", ""), full.centreCrop(size).toUnitRange()));
        }
        PhantomGenerator.Kind[] kinds = PhantomGenerator.Kind.values();
        for (int i = 0; i < phantoms; i++) {
            PhantomGenerator.Kind k = kinds[i % kinds.length];
            out.add(new LearnedBenchmark.Image("phantom-" + k.name().toLowerCase(Locale.ROOT) + "-" + i,
                    new PhantomGenerator(k).generate(size, EVAL_SEED + i).toUnitRange()));
        }
        return out;
    }

    private static void writeCsv(Path file, List<LearnedBenchmark.Row> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter csv = new CSVPrinter(sb, CSVFormat.DEFAULT.builder()
                .setHeader("scenario", "image", "method", "psnr", "ssim", "seconds", "parameter").build())) {
            for (LearnedBenchmark.Row r : rows) csv.printRecord(r.scenario(), r.image(), r.method(), r.psnr(), r.ssim(), r.seconds(), r.parameter());
        }
        io.equilibria.image.AtomicFiles.writeString(file, sb.toString());
        System.out.println("wrote " + file);
    }

    /** Denoiser GFLOP/s against conv throughput, and the end-to-end 256² deblur time through the CLI's core call. */
    private static void speed(NDManager m, Device device, String model) {
        System.out.println();
        System.out.println("### Speed");
        System.out.println();
        StoredModel stored = ModelCache.get(model, device);
        if (!(stored.block() instanceof DeqModel dm)) {
            throw new UsageException("--deblur-model " + model + " is a '" + stored.card().kind() + "' model, not a DEQ model");
        }
        double conv = LearnedBenchmark.convThroughput(m, 256, 5);
        double den = LearnedBenchmark.denoiserThroughput(m, dm, 256, 5);
        System.out.printf(Locale.ROOT, "conv throughput (six 32->32 3x3 convs on 256x256): %.1f GFLOP/s; denoiser (%s, %.0f flop/pixel) on 256x256: %.1f GFLOP/s = %.2f of conv throughput%n",
                conv, dm.denoiser().describe(), dm.denoiser().flopsPerPixel(), den, den / conv);
        Plane noisy = degraded(m, 256, EVAL_SEED + 99);
        ImageData img = new ImageData(List.of(noisy), Calibration.none(), 32);
        MethodConfig deq = new MethodConfig("deq", 0, Double.NaN, Double.NaN, model, null);
        Psf psf = Psf.of(PsfGenerator.gaussian(2, 0), "gaussian:2");
        double[] times = new double[3];
        io.equilibria.reconstruct.report.ReconstructionReport last = null;
        for (int i = 0; i < times.length; i++) {
            long t0 = System.nanoTime();
            io.equilibria.reconstruct.report.Reconstruction o = Deconvolution.run(img, psf, deq, Deconvolution.Options.defaults(), device, Deconvolution.PlaneListener.NONE);
            times[i] = (System.nanoTime() - t0) / 1e9;
            last = o.report();
        }
        java.util.Arrays.sort(times);
        MethodConfig rl = new MethodConfig("rl", 0, Double.NaN, Double.NaN);
        long t0 = System.nanoTime();
        Deconvolution.run(img, psf, rl, Deconvolution.Options.defaults(), device, Deconvolution.PlaneListener.NONE);
        double rlTime = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "256x256 deblur end to end (read-to-result core call, model loaded, extended boundary, JVM start excluded): "
                + "DEQ median %.2f s (target <= 2 s; %s iterations), RL 30 iterations %.2f s, ratio %.1fx%n",
                times[1], last.first().iterations(), rlTime, times[1] / rlTime);
        System.out.println("  last run: " + breakdown(last.first().parameters(), last.first().iterations()));
    }

    /**
     * The speed and memory runs' input: a unit-range phantom blurred by the Gaussian σ 2 px PSF (periodic) plus
     * Gaussian noise σ 0.01, a realistic deblurring input (a sharp, noise-free one makes the prior vanish and the
     * solver crawl, which says nothing about a user's image).
     */
    static Plane degraded(NDManager m, int size, long seed) {
        Plane truth = new PhantomGenerator().generate(size, seed).toUnitRange();
        try (NDManager sub = m.newSubManager();
             io.equilibria.physics.FftConvolution a = io.equilibria.physics.FftConvolution.single(sub,
                     Psf.of(PsfGenerator.gaussian(2, 0), "gaussian:2"), size, size, io.equilibria.physics.Boundary.PERIODIC)) {
            Plane blurred = io.equilibria.compute.Tensors.toPlane(a.apply(io.equilibria.compute.Tensors.of(sub, truth)));
            return LearnedBenchmark.noisy(blurred, 0.01, 0, new java.util.SplittableRandom(7));
        }
    }

    /** Where a DEQ deblur's seconds went: start, strength search (iterations) and the final solve (iterations, residual). */
    static String breakdown(io.equilibria.reconstruct.report.MethodParameters p, int iterations) {
        return String.format(Locale.ROOT, "start %.2f s, search %s s (%s iterations on the crop), final solve %.2f s (%s iterations, residual %.2e, %s)",
                num(p.get("startSeconds")), p.get("searchSeconds") instanceof Number n ? String.format(Locale.ROOT, "%.2f", n.doubleValue()) : "-",
                p.searchIterations() >= 0 ? p.searchIterations() : "-", num(p.get("solverSeconds")), iterations,
                p.solverResidual(), p.converged() ? "converged" : "NOT converged");
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Peak RSS of a child process deblurring a size² image with the DEQ, read from its report. */
    private static void memory(NDManager m, int size, String model, Device device) throws IOException {
        System.out.println();
        System.out.println("### Memory");
        System.out.println();
        Path dir = Files.createTempDirectory("equilibria-bench");
        try {
            Plane p = degraded(m, size, EVAL_SEED + 500);
            Path in = dir.resolve("input.tif"), out = dir.resolve("output.tif"), report = dir.resolve("report.json");
            ImageFiles.writeFloatTiff(new ImageData(List.of(p), Calibration.none(), 32), in);
            List<String> cmd = ChildJvm.command(List.of("reconstruct", "deblur", "--input", in.toString(), "--psf", "gaussian:2",
                    "--method", "deq", "--model", model, "--output", out.toString(), "--report", report.toString(),
                    "--device", device.getDeviceType().equals("gpu") ? "gpu" : "cpu"));
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile()).start();
            int rc;
            try {
                rc = proc.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                proc.destroy();
                return;
            }
            if (rc != 0) {
                System.out.println("the " + size + "x" + size + " child run failed (exit " + rc + "): " + Files.readString(dir.resolve("log.txt")));
                return;
            }
            var r = io.equilibria.reconstruct.report.ReportJson.MAPPER.readTree(report.toFile());
            var plane = r.get("planes").get(0);
            System.out.printf(Locale.ROOT, "%dx%d DEQ deblur in a fresh process: peak RSS %s MiB (this process now: %.0f MiB), %.1f s%s, %s iterations%n",
                    size, size, r.get("peakRssMiB"), ProcessMemory.peakRssMiB(), r.get("seconds").asDouble(),
                    size == 2048 ? " (target <= 40 s)" : "", plane.get("iterations"));
            System.out.println("  " + breakdown(new io.equilibria.reconstruct.report.MethodParameters(
                    io.equilibria.reconstruct.report.ReportJson.MAPPER.convertValue(plane.get("parameters"), Map.class)), plane.get("iterations").asInt()));
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
