package io.equilibria.spark;

import com.fasterxml.jackson.databind.JsonNode;
import io.equilibria.cli.ExitCodes;
import io.equilibria.cli.Main;
import io.equilibria.reconstruct.report.ReportJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code equilibria-spark bench spark}: images per second of the same batch (the CLI's {@code reconstruct deblur}, default
 * options but the method) run four ways, each in a fresh JVM and timed from its start to its exit, in one run:
 * the single-process CLI batch at one PyTorch thread and at two, and the Spark job at local[1] and local[2] with one
 * thread per task. It prints images/s, the ratios the Spark issue asks for (local[2] / local[1], local[2] / the
 * single process at one thread) and the overhead per image: wall time × images solved at once minus the solves' own
 * seconds (from the report), over the images (start-up, reading, writing, scheduling). Outputs of the other three are
 * compared byte for byte with the one-thread CLI's. With {@code --tile}, every run tiles its images so, and the Spark
 * runs spread each image's tiles over tasks (a few large images: the tile grid is the parallelism).
 */
final class SparkBench {
    private SparkBench() {}

    static int run(String... args) throws IOException, InterruptedException {
        int images = 16, size = 256, tile = 0;
        String method = "deq";
        Path work = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--images" -> images = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--method" -> method = args[++i];
                case "--tile" -> tile = Integer.parseInt(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--help", "-h" -> {
                    System.out.println("usage: equilibria-spark bench spark [--images N (16)] [--size PX (256)] [--method M (deq)] [--tile PX: every run tiles its images so, "
                            + "and Spark spreads the tiles as tasks] [--work DIR]");
                    return ExitCodes.OK;
                }
                default -> {
                    System.err.println("equilibria: error: bench: unknown option " + args[i] + " (see equilibria-spark bench spark --help)");
                    return ExitCodes.USAGE;
                }
            }
        }
        if (work == null) work = Files.createTempDirectory("equilibria-spark-bench");
        Path in = work.resolve("in");
        makeImages(in, images, size);
        Path jar = Path.of(SparkBench.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        if (!jar.toString().endsWith(".jar")) {
            System.err.println("equilibria: error: bench runs from the built jar (java -jar spark/target/equilibria-spark.jar bench spark)");
            return ExitCodes.USAGE;
        }
        String cp = jar.resolveSibling("lib") + "/*";
        String models = System.getProperty("equilibria.models", JobSettings.shippedModels());
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> common = new ArrayList<>(List.of("reconstruct", "deblur", "--input", in.toString(), "--psf", "gaussian:2", "--method", method));
        if (tile > 0) common.addAll(List.of("--tile", Integer.toString(tile)));

        // workers: images solved at once (the overhead per image is wall × workers − the solves' own seconds, over the images)
        record Run(String label, double seconds, double solveSeconds, Path output, int workers) {}
        List<Run> runs = new ArrayList<>();
        for (String[] c : new String[][] {{"CLI batch, 1 thread", "cli", "1"}, {"CLI batch, 2 threads", "cli", "2"},
                {"Spark local[1], 1 thread/task", "local[1]", "1"}, {"Spark local[2], 1 thread/task", "local[2]", "1"}}) {
            Path out = work.resolve("out-" + runs.size());
            Path report = work.resolve("report-" + runs.size() + ".json");
            List<String> cmd = new ArrayList<>(List.of(javaBin, "-Dai.djl.offline=true"));
            if (models != null) cmd.add("-Dequilibria.models=" + models); // the same models for every run
            if (c[1].equals("cli")) {
                cmd.addAll(List.of("-Dai.djl.pytorch.num_threads=" + c[2], "-cp", cp, "io.equilibria.cli.Main"));
            } else {
                cmd.addAll(List.of("-jar", jar.toString()));
            }
            cmd.addAll(common);
            cmd.addAll(List.of("--output", out.toString(), "--report", report.toString()));
            if (!c[1].equals("cli")) cmd.addAll(List.of("--master", c[1], "--threads-per-task", c[2]));
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("log-" + runs.size() + ".txt").toFile()).start();
            int code = p.waitFor();
            double wall = (System.nanoTime() - t0) / 1e9;
            if (code != 0) {
                System.err.println("equilibria: error: bench: " + c[0] + " exited with " + code + "; see " + work.resolve("log-" + runs.size() + ".txt"));
                return ExitCodes.FAILURE;
            }
            double solve = 0;
            for (JsonNode row : ReportJson.MAPPER.readTree(report.toFile()).get("images")) solve += row.get("seconds").asDouble();
            runs.add(new Run(c[0], wall, solve, out, c[1].equals("local[2]") ? 2 : 1));
            System.err.printf(Locale.ROOT, "equilibria: %s: %.1f s%n", c[0], wall);
        }

        System.out.printf(Locale.ROOT, "%n%d images of %dx%d, method %s%s, %d cores; each run a fresh JVM, timed start to exit%n",
                images, size, size, method, tile > 0 ? ", tiles of " + tile + " px (Spark: one task per tile)" : "",
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-32s %9s %10s %12s %18s%n", "run", "wall s", "images/s", "solve s/img", "overhead s/img");
        for (Run r : runs) {
            System.out.printf(Locale.ROOT, "%-32s %9.1f %10.3f %12.2f %18.2f%n", r.label(), r.seconds(), images / r.seconds(),
                    r.solveSeconds() / images, (r.seconds() * r.workers() - r.solveSeconds()) / images);
        }
        double ratio21 = runs.get(2).seconds() / runs.get(3).seconds();
        double vsCli = runs.get(0).seconds() / runs.get(3).seconds();
        System.out.printf(Locale.ROOT, "local[2] / local[1]: %.2fx (target >= 1.6)%nlocal[2] / CLI batch at 1 thread: %.2fx (target >= 1.0)%n"
                + "local[2] / CLI batch at 2 threads: %.2fx%n", ratio21, vsCli, runs.get(1).seconds() / runs.get(3).seconds());
        for (int r = 1; r < runs.size(); r++) {
            int differ = 0;
            try (var s = Files.list(runs.get(0).output())) {
                for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".tif"))::iterator) {
                    if (!java.util.Arrays.equals(Files.readAllBytes(f), Files.readAllBytes(runs.get(r).output().resolve(f.getFileName())))) differ++;
                }
            }
            System.out.println(runs.get(r).label() + ": outputs byte-identical to the CLI batch at 1 thread: "
                    + (differ == 0 ? "all " + images : differ + " of " + images + " differ")
                    + (r == 1 ? " (expected: at 2 threads the sums inside the convolutions run in another order)" : ""));
        }
        System.out.println("work folder: " + work);
        return ExitCodes.OK;
    }

    /** N ground truths (the core's phantoms, one seed each) blurred by a Gaussian PSF with Poisson noise, as a user's folder. */
    private static void makeImages(Path in, int n, int size) throws IOException {
        Files.createDirectories(in);
        Path truth = in.resolveSibling("truth");
        Files.createDirectories(truth);
        for (int i = 0; i < n; i++) {
            Path gt = truth.resolve(String.format(Locale.ROOT, "img%02d.tif", i)), y = in.resolve(gt.getFileName());
            if (Files.exists(y)) continue;
            check(Main.run("simulate", "phantom", "--size", size + "x" + size, "--seed", Integer.toString(1000 + i), "--output", gt.toString()));
            check(Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:2", "--photons", "300",
                    "--seed", Integer.toString(i), "--output", y.toString()));
        }
    }

    private static void check(int code) {
        if (code != 0) throw new IllegalStateException("making the bench images failed (exit " + code + ")");
    }
}
