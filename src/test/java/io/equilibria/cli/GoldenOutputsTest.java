package io.equilibria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ij.ImagePlus;
import ij.io.FileSaver;
import ij.process.ShortProcessor;
import io.equilibria.TestSupport;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Behaviour is pinned: the CLI, run in process with one thread on inputs it makes itself from the sample images,
 * must give the outputs saved in {@code src/test/resources/golden} (images to 1e-6 of their largest magnitude, reports
 * field by field with numbers to 1e-6 relative; fields added since are allowed; timings, memory and the device line,
 * which say how the machine ran, are not compared).
 * It guards refactoring: a change that moves a shipped model's output fails here. When an output is meant to change,
 * regenerate with {@code mvn test -Dtest=GoldenOutputsTest -Dequilibria.golden.update=true} and say why in the commit.
 */
class GoldenOutputsTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");
    private static final boolean UPDATE = Boolean.getBoolean("equilibria.golden.update");
    private static final double TOLERANCE = 1e-6;
    /** Report fields that measure the run, not its result. */
    private static final Set<String> VOLATILE = Set.of("seconds", "solverSeconds", "startSeconds", "searchSeconds", "peakRssMiB",
            "device", "estimatedPeakMiB", "memoryBudgetMiB");

    @TempDir
    static Path dir;

    @BeforeAll
    static void inputs() throws Exception {
        TestSupport.manager(); // loads the engine, whose thread count run() sets
        Plane camera = ImageFiles.read(Path.of("sample-images/skimage_camera.png")).planes().get(0);
        ImageFiles.writeFloatTiff(new ImageData(List.of(camera.centreCrop(96).toUnitRange()), Calibration.none(), 32), dir.resolve("gt96.tif"));
        Plane cell = ImageFiles.read(Path.of("sample-images/skimage_cell_qpi.png")).planes().get(0);
        ImageFiles.writeFloatTiff(new ImageData(List.of(cell.centreCrop(64).toUnitRange()), Calibration.none(), 32), dir.resolve("gt64.tif"));
        run("simulate", "deblur", "--input", dir.resolve("gt96.tif").toString(), "--psf", "gaussian:2", "--noise-sigma", "0.01",
                "--seed", "3", "--output", dir.resolve("y96.tif").toString());
        run("simulate", "deblur", "--input", dir.resolve("gt64.tif").toString(), "--psf", "gaussian:1.5", "--frames", "4",
                "--noise-sigma", "0.01", "--seed", "2", "--output", dir.resolve("views.tif").toString());
        run("simulate", "cs", "--input", dir.resolve("gt64.tif").toString(), "--ratio", "0.25", "--noise-sigma", "0.01",
                "--seed", "1", "--output", dir.resolve("cs.tif").toString());
        // a 16-bit camera file: gain 3000 ADU per unit, offset 100
        Plane y = ImageFiles.read(dir.resolve("y96.tif")).planes().get(0);
        short[] adu = new short[y.data().length];
        for (int i = 0; i < adu.length; i++) adu[i] = (short) Math.max(0, Math.min(65535, Math.round(100 + 3000 * y.data()[i])));
        new FileSaver(new ImagePlus("camera", new ShortProcessor(y.width(), y.height(), adu, null))).saveAsTiff(dir.resolve("cam96.tif").toString());
    }

    @Test
    void deblurMethods() throws Exception {
        check("deblur-deq", "reconstruct", "deblur", "--input", "y96.tif", "--psf", "gaussian:2", "--method", "deq");
        check("deblur-deq-camera", "reconstruct", "deblur", "--input", "cam96.tif", "--psf", "gaussian:2", "--method", "deq");
        for (String m : List.of("rl", "rltv", "tv", "wiener")) {
            check("deblur-" + m, "reconstruct", "deblur", "--input", "y96.tif", "--psf", "gaussian:2", "--method", m);
        }
    }

    @Test
    void multiFrameOder() throws Exception {
        check("deblur-oder", "reconstruct", "deblur", "--input", "views.tif", "--psf", "views_psf.tif", "--multi-frame",
                "--method", "oder", "--seed", "7", "--iterations", "40");
    }

    @Test
    void compressedSensing() throws Exception {
        check("cs-deq", "reconstruct", "cs", "--input", "cs.tif", "--method", "deq");
        check("cs-tv", "reconstruct", "cs", "--input", "cs.tif", "--method", "tv");
    }

    /** A stack of independent planes: warm starts across slices, and a per-plane report. */
    @Test
    void stackWarmStart() throws Exception {
        check("stack-deq", "reconstruct", "deblur", "--input", "views.tif", "--psf", "gaussian:1.5", "--method", "deq");
    }

    /** A directory: the batch JSON report (summary and a row per image) and the CSV report, row by row. */
    @Test
    void batchReports() throws Exception {
        Path in = dir.resolve("batch-in");
        Files.createDirectories(in.resolve("sub"));
        Files.copy(dir.resolve("y96.tif"), in.resolve("a.tif"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve("cam96.tif"), in.resolve("sub/b.tif"), StandardCopyOption.REPLACE_EXISTING);
        for (String kind : List.of("json", "csv")) {
            String name = "batch-rl-" + kind;
            Path out = dir.resolve(name), report = dir.resolve(name + "." + kind);
            run("reconstruct", "deblur", "--input", in.toString(), "--recursive", "--psf", "gaussian:2", "--method", "rl",
                    "--output", out.toString(), "--report", report.toString());
            Path expected = GOLDEN.resolve(name + "." + kind);
            if (UPDATE) {
                Files.writeString(expected, portable(report));
                continue;
            }
            assertTrue(Files.exists(expected), "no golden output " + expected + ": regenerate (see the class comment)");
            List<String> diffs = new ArrayList<>();
            compareJson("", tree(kind, Files.readString(expected)), tree(kind, portable(report)), diffs);
            if (!diffs.isEmpty()) fail(name + ": report differs from the golden one:\n" + String.join("\n", diffs));
            for (String image : List.of("a.tif", "sub/b.tif")) {
                compareImages(name + "/" + image, ImageFiles.read(GOLDEN.resolve("batch-rl-" + image.replace('/', '-'))),
                        ImageFiles.read(out.resolve(image)));
            }
        }
        if (UPDATE) {
            for (String image : List.of("a.tif", "sub/b.tif")) {
                Files.copy(dir.resolve("batch-rl-json").resolve(image), GOLDEN.resolve("batch-rl-" + image.replace('/', '-')),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** A report as a tree; a CSV report as an array of rows, each an object of its cells (numbers parsed). */
    private static JsonNode tree(String kind, String text) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        if (kind.equals("json")) return json.readTree(text);
        com.fasterxml.jackson.databind.node.ArrayNode rows = json.createArrayNode();
        for (org.apache.commons.csv.CSVRecord r : org.apache.commons.csv.CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true)
                .build().parse(new java.io.StringReader(text))) {
            com.fasterxml.jackson.databind.node.ObjectNode row = rows.addObject();
            r.toMap().forEach((k, v) -> {
                try {
                    row.put(k, Double.parseDouble(v));
                } catch (NumberFormatException notNumber) {
                    row.put(k, v);
                }
            });
        }
        return rows;
    }

    /** Runs a reconstruction (input names are relative to the temporary folder) and compares image and report. */
    private static void check(String name, String... args) throws Exception {
        Path out = dir.resolve(name + ".tif"), report = dir.resolve(name + ".json");
        List<String> a = new ArrayList<>();
        for (String s : args) a.add(Files.exists(dir.resolve(s)) && s.contains(".") ? dir.resolve(s).toString() : s);
        a.addAll(List.of("--output", out.toString(), "--report", report.toString()));
        run(a.toArray(String[]::new));
        Path expectedImage = GOLDEN.resolve(name + ".tif"), expectedReport = GOLDEN.resolve(name + ".json");
        if (UPDATE) {
            Files.createDirectories(GOLDEN);
            Files.copy(out, expectedImage, StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(expectedReport, portable(report));
            return;
        }
        assertTrue(Files.exists(expectedImage), "no golden output " + expectedImage + ": regenerate (see the class comment)");
        compareImages(name, ImageFiles.read(expectedImage), ImageFiles.read(out));
        ObjectMapper json = new ObjectMapper();
        List<String> diffs = new ArrayList<>();
        compareJson("", json.readTree(expectedReport.toFile()), json.readTree(portable(report)), diffs);
        if (!diffs.isEmpty()) fail(name + ": report differs from the golden one:\n" + String.join("\n", diffs));
    }

    /** The report's text with this run's temporary folder written as $DIR and the checkout's root as $ROOT. */
    private static String portable(Path report) throws java.io.IOException {
        return Files.readString(report).replace(dir.toString(), "$DIR").replace(Path.of("").toAbsolutePath().toString(), "$ROOT");
    }

    private static void compareImages(String name, ImageData expected, ImageData actual) {
        assertEquals(expected.planes().size(), actual.planes().size(), name + ": planes");
        for (int p = 0; p < expected.planes().size(); p++) {
            float[] e = expected.planes().get(p).data(), x = actual.planes().get(p).data();
            assertEquals(e.length, x.length, name + ": pixels");
            double scale = 1, worst = 0;
            for (float v : e) scale = Math.max(scale, Math.abs(v));
            int at = -1;
            for (int i = 0; i < e.length; i++) {
                double d = Math.abs(e[i] - x[i]);
                if (!(d <= worst)) {
                    worst = d;
                    at = i;
                }
            }
            assertTrue(worst <= TOLERANCE * scale, String.format(java.util.Locale.ROOT,
                    "%s plane %d: largest difference %.3g at pixel %d (golden %s, now %s), allowed %.3g", name, p, worst, at,
                    at >= 0 ? e[at] : "-", at >= 0 ? x[at] : "-", TOLERANCE * scale));
        }
    }

    /** Every field of the golden report must be in the new one with the same value; new fields are allowed. */
    private static void compareJson(String path, JsonNode expected, JsonNode actual, List<String> diffs) {
        if (actual == null || actual.isMissingNode()) {
            diffs.add(path + ": missing (golden " + expected + ")");
        } else if (expected.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (VOLATILE.contains(f.getKey())) continue;
                compareJson(path + "/" + f.getKey(), f.getValue(), actual.get(f.getKey()), diffs);
            }
        } else if (expected.isArray()) {
            if (expected.size() != actual.size()) diffs.add(path + ": " + expected.size() + " entries, now " + actual.size());
            else for (int i = 0; i < expected.size(); i++) compareJson(path + "/" + i, expected.get(i), actual.get(i), diffs);
        } else if (expected.isNumber()) {
            double e = expected.asDouble(), a = actual.asDouble();
            if (!(Math.abs(e - a) <= TOLERANCE * Math.max(1e-12, Math.abs(e))) && !(Double.isNaN(e) && Double.isNaN(a))) {
                diffs.add(path + ": " + e + ", now " + a);
            }
        } else if (expected.isTextual() && expected.asText().matches("(?s).*\\d+\\.\\d+ s\\b.*")) {
            // text carrying a timing (a summary line): compare only that it is still there
            if (!actual.isTextual()) diffs.add(path + ": no longer text");
        } else if (!expected.equals(actual)) {
            diffs.add(path + ": " + expected + ", now " + actual);
        }
    }

    private static void run(String... args) throws Exception {
        int[] rc = new int[1];
        TestSupport.withOneThread(() -> rc[0] = Main.run(args));
        assertEquals(0, rc[0], "equilibria " + String.join(" ", args));
    }
}
