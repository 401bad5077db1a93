package io.equilibria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.train.data.PhantomGenerator;
import org.apache.commons.cli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench batch}: the headless batch on a folder of generated images, every measured run in a fresh child
 * process (so peak memory is that run's own). Prints images/s against the baseline of one process per image (a shell
 * loop) measured in the same run, peak memory, the warm-start iteration saving on a time-lapse, tiled against untiled
 * quality, and optionally a large image under a memory budget.
 */
final class BatchBench {
    private BatchBench() {}

    static int run(CommandLine l) throws IOException {
        int n = Args.integer(l, "count", 24), size = Args.integer(l, "size", 256), slices = Args.integer(l, "slices", 8);
        int tiled = Args.integer(l, "tile-size", 768), large = Args.integer(l, "large", 0);
        String method = l.getOptionValue("method", "deq"), budget = l.getOptionValue("max-memory", "2g");
        if (n < 2 || size < 64 || slices < 2 || tiled < 256) throw new UsageException("need --count >= 2, --size >= 64, --slices >= 2, --tile-size >= 256");
        Path dir = Files.createTempDirectory("equilibria-bench-batch");
        try {
            System.out.printf(Locale.ROOT, "## Batch benchmark: %d generated %dx%d phantoms, Gaussian PSF sigma 2 px, noise 0.01, method %s%n%n", n, size, size, method);
            Path in = dir.resolve("in"), gt = dir.resolve("gt");
            for (int i = 0; i < n; i++) {
                Plane p = new PhantomGenerator().generate(size, 9000 + i);
                observe(List.of(p), gt.resolve("img" + i + ".tif"), in.resolve("img" + i + ".tif"), i);
            }
            // baseline: one process per image, as a shell loop would run it
            int k = Math.min(n, 4);
            long t0 = System.nanoTime();
            for (int i = 0; i < k; i++) {
                child(dir, "reconstruct", "deblur", "--input", in.resolve("img" + i + ".tif").toString(), "--psf", "gaussian:2",
                        "--method", method, "--output", dir.resolve("loop" + i + ".tif").toString());
            }
            double loopRate = k / ((System.nanoTime() - t0) / 1e9);
            Path report = dir.resolve("batch.json");
            t0 = System.nanoTime();
            child(dir, "reconstruct", "deblur", "--input", in.toString(), "--psf", "gaussian:2", "--method", method,
                    "--output", dir.resolve("out").toString(), "--reference", gt.toString(), "--report", report.toString());
            double seconds = (System.nanoTime() - t0) / 1e9;
            JsonNode r = Json.MAPPER.readTree(report.toFile());
            double psnr = 0;
            long iterations = 0;
            for (JsonNode row : r.get("images")) {
                psnr += row.get("psnr").asDouble();
                iterations += row.get("iterations").asLong();
            }
            System.out.println("| measurement | value |");
            System.out.println("|---|---|");
            row("batch throughput (one process, whole folder incl. start-up)", String.format(Locale.ROOT, "%.3f images/s (%.1f s for %d)", n / seconds, seconds, n));
            row("baseline: one process per image (first " + k + ")", String.format(Locale.ROOT, "%.3f images/s", loopRate));
            row("ratio batch / per-image processes", String.format(Locale.ROOT, "%.2f", n / seconds / loopRate));
            row("peak memory of the batch process", r.get("peakRssMiB").asText() + " MiB");
            row("mean PSNR / mean solver iterations", String.format(Locale.ROOT, "%.2f dB / %.1f", psnr / n, iterations / (double) n));
            t0 = System.nanoTime();
            child(dir, "reconstruct", "deblur", "--input", in.toString(), "--psf", "gaussian:2", "--method", method,
                    "--output", dir.resolve("out").toString(), "--report", report.toString(), "--resume");
            row("--resume of the finished batch", String.format(Locale.ROOT, "%.1f s, %d of %d skipped", (System.nanoTime() - t0) / 1e9,
                    Json.MAPPER.readTree(report.toFile()).get("resumed").asInt(), n));
            warmStart(dir, size, slices, method);
            tiling(dir, tiled, "rl");
            if (!method.equals("rl")) tiling(dir, tiled, method);
            if (large > 0) budget(dir, large, method, budget);
            System.out.println();
            System.out.println("(" + method + " with its defaults; every run is a child process: `equilibria reconstruct deblur ...`)");
            return ExitCodes.OK;
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** Time-lapse: a phantom drifting 1 px every other slice, fresh noise per slice; warm (verified) against cold. */
    private static void warmStart(Path dir, int size, int slices, String method) throws IOException {
        Plane big = new PhantomGenerator().generate(size + slices, 9500);
        List<Plane> frames = new ArrayList<>();
        for (int s = 0; s < slices; s++) frames.add(crop(big, s / 2, s / 3, size));
        Path gt = dir.resolve("tl_gt.tif"), obs = dir.resolve("tl.tif");
        observe(frames, gt, obs, 77);
        Path warm = dir.resolve("tl_warm.tif"), cold = dir.resolve("tl_cold.tif"), rw = dir.resolve("tl_warm.json"), rc = dir.resolve("tl_cold.json");
        child(dir, "reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:2", "--method", method,
                "--warm-start", "verify", "--output", warm.toString(), "--report", rw.toString());
        child(dir, "reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:2", "--method", method,
                "--warm-start", "off", "--output", cold.toString(), "--report", rc.toString());
        JsonNode ws = Json.MAPPER.readTree(rw.toFile()).get("warmStart");
        if (ws == null) {
            row("warm start", method + " does not warm-start");
            return;
        }
        ImageData g = ImageFiles.read(gt), w = ImageFiles.read(warm), c = ImageFiles.read(cold);
        double pw = 0, pc = 0, mse = 0, range = 0;
        for (int i = 0; i < slices; i++) {
            double r = ImageMetrics.dataRange(g.plane(i));
            pw += ImageMetrics.psnr(g.plane(i), w.plane(i), r) / slices;
            pc += ImageMetrics.psnr(g.plane(i), c.plane(i), r) / slices;
            if (i > 0) { // slices where a warm start was possible; pooled, since a slice that fell back is identical
                mse += ImageMetrics.mse(c.plane(i), w.plane(i)) / (slices - 1);
                range = Math.max(range, ImageMetrics.dataRange(c.plane(i)));
            }
        }
        double between = 10 * Math.log10(range * range / mse);
        row("warm start, " + slices + "-slice time-lapse: iterations warm / cold (slices 2.." + slices + ")",
                ws.get("warmIterations").asText() + " / " + ws.get("sameSolvesColdIterations").asText()
                        + String.format(Locale.ROOT, " (saved %.0f%%; %d of %d slices fell back to the cold start)", 100 * ws.get("savedFraction").asDouble(),
                        ws.get("fellBackToColdStart").asInt(), slices - 1));
        row("warm start: largest relative difference to the cold result (solver tolerance " + tolerance(rw) + ")",
                String.format(Locale.ROOT, "%.2e", ws.get("maxRelativeDifferenceToCold").asDouble()));
        row("warm start: mean PSNR against the truth warm / cold; warm vs cold (slices 2.." + slices + ")",
                String.format(Locale.ROOT, "%.3f / %.3f dB; %.1f dB", pw, pc, between));
    }

    private static String tolerance(Path report) throws IOException {
        JsonNode p = Json.MAPPER.readTree(report.toFile()).get("planes").get(0).get("parameters");
        return p != null && p.has("solverTolerance") ? p.get("solverTolerance").asText() : "?";
    }

    /** A side² phantom solved whole and in tiles of side/2 (4 tiles plus halos). */
    private static void tiling(Path dir, int side, String method) throws IOException {
        Plane p = new PhantomGenerator().generate(side, 9700);
        Path gt = dir.resolve("tile_gt.tif"), obs = dir.resolve("tile.tif");
        observe(List.of(p), gt, obs, 78);
        Path whole = dir.resolve("whole_" + method + ".tif"), tiles = dir.resolve("tiles_" + method + ".tif"), rep = dir.resolve("tiles.json");
        child(dir, "reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:2", "--method", method, "--output", whole.toString());
        child(dir, "reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:2", "--method", method, "--tile", String.valueOf(side / 2),
                "--output", tiles.toString(), "--report", rep.toString());
        Plane g = ImageFiles.read(gt).plane(0), a = ImageFiles.read(whole).plane(0), b = ImageFiles.read(tiles).plane(0);
        double range = ImageMetrics.dataRange(g);
        double pa = ImageMetrics.psnr(g, a, range), pb = ImageMetrics.psnr(g, b, range);
        row(String.format(Locale.ROOT, "tiled vs untiled %s, %dx%d (%s)", method, side, side, Json.MAPPER.readTree(rep.toFile()).get("tiling").asText()),
                String.format(Locale.ROOT, "PSNR %.3f vs %.3f dB: difference %+.3f dB; tiled vs untiled %.1f dB", pb, pa, pb - pa,
                        ImageMetrics.psnr(a, b, ImageMetrics.dataRange(a))));
    }

    /** A large image under a memory budget: the child's peak RSS against the budget. */
    private static void budget(Path dir, int side, String method, String budget) throws IOException {
        Plane p = new PhantomGenerator().generate(side, 9800);
        Path gt = dir.resolve("large_gt.tif"), obs = dir.resolve("large.tif"), rep = dir.resolve("large.json");
        observe(List.of(p), gt, obs, 79);
        Files.delete(gt);
        child(dir, "reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:2", "--method", method, "--max-memory", budget,
                "--output", dir.resolve("large_out.tif").toString(), "--report", rep.toString());
        JsonNode r = Json.MAPPER.readTree(rep.toFile());
        row(String.format(Locale.ROOT, "%dx%d %s with --max-memory %s", side, side, method, budget),
                String.format(Locale.ROOT, "peak RSS %s MiB (budget %s MiB, model estimate %s MiB), %s, %.0f s", r.get("peakRssMiB").asText(),
                        r.get("memoryBudgetMiB").asText(), r.get("estimatedPeakMiB").asText(), r.get("tiling").asText(), r.get("seconds").asDouble()));
    }

    private static void observe(List<Plane> planes, Path gt, Path obs, int seed) {
        ImageFiles.writeFloatTiff(new ImageData(planes, Calibration.none(), 32), gt);
        int rc = Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:2", "--noise-sigma", "0.01",
                "--seed", String.valueOf(seed), "--output", obs.toString());
        if (rc != 0) throw new IllegalStateException("simulate failed (exit " + rc + ")");
    }

    private static Plane crop(Plane p, int x0, int y0, int size) {
        float[] d = new float[size * size];
        for (int y = 0; y < size; y++) System.arraycopy(p.data(), (y0 + y) * p.width() + x0, d, y * size, size);
        return new Plane(size, size, d);
    }

    private static void row(String what, String value) {
        System.out.println("| " + what + " | " + value + " |");
        System.out.flush();
    }

    /** Runs the CLI in a fresh JVM with this one's class path and settings; its report holds its own peak RSS. */
    private static void child(Path dir, String... args) throws IOException {
        List<String> cmd = ChildJvm.command(List.of(args));
        Path log = dir.resolve("child.log");
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int rc = proc.waitFor();
            if (rc != 0) throw new IllegalStateException("child run failed (exit " + rc + "): " + String.join(" ", args) + "\n" + Files.readString(log));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            proc.destroy();
            throw new IllegalStateException("interrupted");
        }
    }
}
