package io.equilibria.cli;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.process.FloatProcessor;
import io.equilibria.TestSupport;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Headless batches as a cluster user runs them: reports, references, resume, shards, tiling. */
class BatchCommandTest {
    @TempDir
    Path dir;

    private static void save(Plane p, Path file) {
        new FileSaver(new ImagePlus("x", new FloatProcessor(p.width(), p.height(), p.data().clone()))).saveAsTiff(file.toString());
    }

    /** {@code n} blurred scenes under in/ (two in a subfolder), their ground truths under gt/, and one broken file. */
    private Path folder(int n) throws Exception {
        Path in = dir.resolve("in"), gt = dir.resolve("gt");
        for (int i = 0; i < n; i++) {
            String rel = (i < 2 ? "sub/" : "") + "img" + i + ".tif";
            Plane scene = TestSupport.scene(64 + 8 * i, 56);
            Files.createDirectories(gt.resolve(rel).getParent());
            Files.createDirectories(in.resolve(rel).getParent());
            save(scene, gt.resolve(rel));
            assertEquals(0, Main.run("simulate", "deblur", "--input", gt.resolve(rel).toString(), "--psf", "gaussian:1.5",
                    "--noise-sigma", "0.01", "--seed", String.valueOf(i), "--output", in.resolve(rel).toString()));
        }
        Files.write(in.resolve("broken.tif"), new byte[] {1, 2, 3});
        return in;
    }

    private static List<CSVRecord> csv(Path p) throws Exception {
        try (CSVParser parser = CSVParser.parse(new StringReader(Files.readString(p)), CSVFormat.DEFAULT.builder().setHeader().build())) {
            return parser.getRecords();
        }
    }

    @Test
    void reportResumeAndFailures() throws Exception {
        Path in = folder(4), out = dir.resolve("out"), report = dir.resolve("report.csv");
        String[] args = {"reconstruct", "deblur", "--input", in.toString(), "--output", out.toString(), "--psf", "gaussian:1.5",
                "--method", "rl", "--recursive", "--include", "*.tif", "--reference", dir.resolve("gt").toString(), "--report", report.toString()};
        assertEquals(ExitCodes.PARTIAL, Main.run(args), "a broken image makes the batch partial, not fatal");
        List<CSVRecord> rows = csv(report);
        assertEquals(5, rows.size());
        int ok = 0;
        for (CSVRecord r : rows) {
            if (r.get("status").equals("ok")) {
                ok++;
                assertEquals("rl", r.get("method"));
                assertTrue(r.get("device").startsWith("cpu"));
                assertEquals("30", r.get("iterations"));
                double psnr = Double.parseDouble(r.get("psnr"));
                // the row's PSNR is the one `metrics` gives for the written output
                Path gtFile = dir.resolve("gt").resolve(r.get("relative"));
                Plane g = ImageFiles.read(gtFile).plane(0), res = ImageFiles.read(Path.of(r.get("output"))).plane(0);
                assertEquals(ImageMetrics.psnr(g, res, ImageMetrics.dataRange(g)), psnr, 1e-3);
                assertTrue(Double.parseDouble(r.get("ssim")) > 0.5);
                assertTrue(Double.parseDouble(r.get("seconds")) > 0);
            } else {
                assertEquals("broken.tif", r.get("relative"));
                assertTrue(!r.get("error").isBlank());
            }
        }
        assertEquals(4, ok);
        assertTrue(Files.exists(out.resolve("sub/img1.tif")), "outputs mirror the tree");
        // resume: finished images are skipped, a deleted output and the failed image are redone
        long before = Files.getLastModifiedTime(out.resolve("img2.tif")).toMillis();
        Files.delete(out.resolve("img3.tif"));
        Files.writeString(out.resolve(".img3.tif999.part"), "half-written");
        Thread.sleep(20);
        assertEquals(ExitCodes.PARTIAL, Main.run(concat(args, "--resume")));
        rows = csv(report);
        assertEquals(5, rows.size());
        for (CSVRecord r : rows) {
            boolean resumed = r.isMapped("resumed") && r.get("resumed").equals("true");
            assertEquals(List.of("img0.tif", "img1.tif", "img2.tif").contains(Path.of(r.get("relative")).getFileName().toString()), resumed,
                    r.get("relative") + " resumed?");
        }
        assertEquals(before, Files.getLastModifiedTime(out.resolve("img2.tif")).toMillis(), "a finished output is not rewritten");
        assertTrue(Files.exists(out.resolve("img3.tif")) && !Files.exists(out.resolve(".img3.tif999.part")));
        // once the broken file is gone, the batch completes with exit 0
        Files.delete(in.resolve("broken.tif"));
        assertEquals(ExitCodes.OK, Main.run(concat(args, "--resume")));
    }

    @Test
    void shardsSplitABatchExactlyOnceAndBadShardsAreUsageErrors() throws Exception {
        Path in = folder(5);
        Files.delete(in.resolve("broken.tif"));
        List<String> done = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Path report = dir.resolve("shard" + i + ".json");
            assertEquals(0, Main.run("reconstruct", "deblur", "--input", in.toString(), "--output", dir.resolve("out").toString(),
                    "--psf", "gaussian:1.5", "--method", "wiener", "--recursive", "--shard", i + "/3", "--report", report.toString()));
            var tree = Json.MAPPER.readTree(report.toFile());
            assertEquals(i + "/3", tree.get("shard").asText());
            tree.get("images").forEach(row -> done.add(row.get("relative").asText()));
        }
        assertEquals(5, done.size());
        assertEquals(5, new HashSet<>(done).size(), "no image processed twice");
        assertEquals(2, Main.run("reconstruct", "deblur", "--input", in.toString(), "--output", dir.resolve("o").toString(),
                "--psf", "gaussian:1.5", "--shard", "0/3"));
        assertEquals(2, Main.run("reconstruct", "deblur", "--input", in.resolve("img4.tif").toString(), "--output",
                dir.resolve("o.tif").toString(), "--psf", "gaussian:1.5", "--resume"), "--resume needs a directory");
    }

    @Test
    void tiledRichardsonLucyEqualsUntiled() throws Exception {
        Plane scene = TestSupport.scene(300, 260);
        Path gt = dir.resolve("big_gt.tif"), obs = dir.resolve("big.tif");
        save(scene, gt);
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:2", "--noise-sigma", "0.01",
                "--seed", "7", "--output", obs.toString()));
        Path whole = dir.resolve("whole.tif"), tiled = dir.resolve("tiled.tif"), rep = dir.resolve("tiled.json");
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:2", "--output", whole.toString()));
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:2", "--tile", "100",
                "--output", tiled.toString(), "--report", rep.toString()));
        assertEquals(9, Json.MAPPER.readTree(rep.toFile()).get("tiles").asInt(), "300x260 in cores of <= 100 px: 3x3 tiles");
        Plane g = ImageFiles.read(gt).plane(0), a = ImageFiles.read(whole).plane(0), b = ImageFiles.read(tiled).plane(0);
        double pa = ImageMetrics.psnr(g, a, ImageMetrics.dataRange(g)), pb = ImageMetrics.psnr(g, b, ImageMetrics.dataRange(g));
        assertEquals(pa, pb, 0.01, "tiled and untiled RL agree to 0.01 dB");
        assertTrue(ImageMetrics.psnr(a, b, ImageMetrics.dataRange(a)) > 50, "and pixel by pixel (no seams)");
        // a budget below what the runtime needs is a clear out-of-memory error, exit 8
        assertEquals(ExitCodes.MEMORY, Main.run("reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:2",
                "--max-memory", "100m", "--output", dir.resolve("no.tif").toString()));
        assertTrue(!Files.exists(dir.resolve("no.tif")));
    }

    @Test
    void warmStartIsReportedForStacks() throws Exception {
        ImageStack st = new ImageStack(64, 56);
        Plane scene = TestSupport.scene(64, 56);
        for (int i = 0; i < 3; i++) st.addSlice(new FloatProcessor(64, 56, scene.data().clone()));
        Path gt = dir.resolve("stack_gt.tif"), obs = dir.resolve("stack.tif"), rep = dir.resolve("stack.json");
        new FileSaver(new ImagePlus("s", st)).saveAsTiffStack(gt.toString());
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:1.5", "--noise-sigma", "0.01",
                "--seed", "7", "--output", obs.toString()));
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:1.5", "--method", "deq",
                "--warm-start", "verify", "--output", dir.resolve("stack_out.tif").toString(), "--report", rep.toString()));
        var ws = Json.MAPPER.readTree(rep.toFile()).get("warmStart");
        assertEquals(2, ws.get("warmSolves").asInt());
        assertEquals(1, ws.get("coldSolves").asInt());
        assertEquals(ws.get("sameSolvesColdIterations").asLong() - ws.get("warmIterations").asLong(), ws.get("iterationsSaved").asLong());
        assertTrue(ws.get("fellBackToColdStart").asInt() <= 2);
        // both results are fixed points to the solver's tolerance; with a map this weakly contractive that bounds
        // their distance only loosely (measured 2-6% at tolerance 1e-3, see the README), so this is a sanity bound
        assertTrue(ws.get("maxRelativeDifferenceToCold").asDouble() < 0.1, ws.toString());
        var planes = Json.MAPPER.readTree(rep.toFile()).get("planes");
        assertTrue(planes.get(0).get("parameters").get("initialisation").asText().startsWith("tikhonov"));
        assertTrue(planes.get(1).get("parameters").has("warmStartUsed"), "a later slice says whether its warm start was used");
        assertEquals(2, Main.run("reconstruct", "deblur", "--input", obs.toString(), "--psf", "gaussian:1.5",
                "--warm-start", "sometimes", "--output", dir.resolve("x.tif").toString()));
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
