package io.equilibria.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ij.IJ;
import ij.ImagePlus;
import io.equilibria.cli.ExitCodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Spark job in local[2] against the single-machine CLI on the same folder: the same bytes and rows, a task killed
 * part-way retried without loss or duplicates, a bad image reported while the rest finish, and a rerun after the
 * driver died resuming from what its tasks recorded.
 */
class SparkJobTest {
    private static final Path PSF = Path.of("sample-images/psf_gaussian2.tif");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int IMAGES = 4;

    @TempDir
    static Path shared;
    private static Path input, cliOutput;

    /**
     * Four 96×96 crops (two of the smooth phase image, two of the textured bright-field one: the DEQ's own result and
     * its blend with the Wiener both occur), and the CLI's batch over them, the reference every test compares with.
     */
    @BeforeAll
    static void folderAndCliRun() throws IOException {
        input = shared.resolve("in");
        Files.createDirectories(input);
        for (int i = 0; i < IMAGES; i++) {
            ImagePlus sample = IJ.openImage(Path.of(i < 2 ? "sample-images/cell_blurred.tif" : "sample-images/tem_brightfield.png").toString());
            sample.setRoi(32 * (i % 2), 32 * (i % 2), 96, 96);
            IJ.saveAsTiff(sample.crop(), input.resolve("img" + i + ".tif").toString());
        }
        cliOutput = shared.resolve("cli");
        assertEquals(ExitCodes.OK, io.equilibria.cli.Main.run("reconstruct", "deblur", "--input", input.toString(), "--output",
                cliOutput.toString(), "--psf", PSF.toString(), "--method", "deq", "--report", shared.resolve("cli.json").toString()));
    }

    @AfterEach
    void noHook() {
        System.clearProperty(ImageTask.FAIL_FIRST_ATTEMPT);
    }

    private static int spark(String master, Path output, String... more) {
        List<String> a = new ArrayList<>(List.of("reconstruct", "deblur", "--input", input.toString(), "--output", output.toString(),
                "--psf", PSF.toString(), "--method", "deq", "--master", master, "--report", output.resolve("report.json").toString()));
        a.addAll(List.of(more));
        return SparkMain.run(a.toArray(String[]::new));
    }

    private static void sameAsCli(Path output) throws IOException {
        for (int i = 0; i < IMAGES; i++) {
            assertArrayEquals(Files.readAllBytes(cliOutput.resolve("img" + i + ".tif")), Files.readAllBytes(output.resolve("img" + i + ".tif")),
                    "img" + i + ".tif differs from the CLI's");
        }
    }

    private static List<String> parts(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".part")).toList();
        }
    }

    @Test
    void twoWorkersGiveTheCliBytesAndRows() throws IOException {
        Path out = shared.resolve("spark");
        assertEquals(ExitCodes.OK, spark("local[2]", out));
        sameAsCli(out);
        JsonNode ours = JSON.readTree(out.resolve("report.json").toFile()), theirs = JSON.readTree(shared.resolve("cli.json").toFile());
        assertEquals(IMAGES, ours.get("images").size());
        for (int i = 0; i < IMAGES; i++) {
            JsonNode a = ours.get("images").get(i), b = theirs.get("images").get(i);
            for (String f : List.of("relative", "status", "method", "model", "solver", "iterations", "residual", "converged")) {
                assertEquals(b.get(f), a.get(f), f + " of " + b.get("relative"));
            }
        }
        assertEquals(IMAGES, ours.get("processed").asInt());
        assertEquals(0, ours.get("failed").asInt());
    }

    @Test
    void aTaskKilledPartWayIsRetriedAndNothingIsLostOrDuplicated() throws IOException {
        System.setProperty(ImageTask.FAIL_FIRST_ATTEMPT, "img2.tif");
        Path out = shared.resolve("killed");
        assertEquals(ExitCodes.OK, spark("local[2,3]", out)); // local[N,F]: F attempts per task
        sameAsCli(out);
        assertEquals(List.of(), parts(out), "the killed attempt's partial file was left behind");
        JsonNode images = JSON.readTree(out.resolve("report.json").toFile()).get("images");
        assertEquals(IMAGES, images.size());
        for (int i = 0; i < IMAGES; i++) assertEquals("img" + i + ".tif", images.get(i).get("relative").asText());
        assertEquals(IMAGES, Files.readAllLines(out.resolve(".equilibria-batch.jsonl")).size(), "one journal line per image");
    }

    @Test
    void aBadImageIsReportedAndTheOthersFinish() throws IOException {
        Path in = shared.resolve("with-bad");
        Files.createDirectories(in);
        for (int i = 0; i < IMAGES; i++) Files.copy(input.resolve("img" + i + ".tif"), in.resolve("img" + i + ".tif"));
        Files.writeString(in.resolve("broken.tif"), "not a TIFF at all");
        Path out = shared.resolve("with-bad-out");
        int code = SparkMain.run("reconstruct", "deblur", "--input", in.toString(), "--output", out.toString(), "--psf", PSF.toString(),
                "--method", "deq", "--master", "local[2]", "--report", out.resolve("report.json").toString());
        assertEquals(ExitCodes.PARTIAL, code);
        sameAsCli(out);
        JsonNode rows = JSON.readTree(out.resolve("report.json").toFile()).get("images");
        assertEquals(IMAGES + 1, rows.size());
        assertEquals("broken.tif", rows.get(0).get("relative").asText());
        assertEquals("failed", rows.get(0).get("status").asText());
        assertFalse(rows.get(0).get("error").asText().isBlank());
        assertFalse(Files.exists(out.resolve("broken.tif")));
    }

    /**
     * The driver dies after two images finished and before it wrote its report or journal: their outputs and task
     * records are there, a third left a partial file. A rerun with --resume keeps the two (untouched) and does the rest.
     */
    @Test
    void aRerunAfterTheDriverDiedResumesFromTheTasksRecords() throws IOException {
        Path out = shared.resolve("resumed");
        assertEquals(ExitCodes.OK, spark("local[2]", out));
        for (String gone : List.of("report.json", ".equilibria-batch.jsonl", "img2.tif", "img3.tif",
                ".equilibria-jobs/img2.tif.json", ".equilibria-jobs/img3.tif.json")) {
            Files.delete(out.resolve(gone));
        }
        Files.writeString(out.resolve(".img2.tif.123.part"), "half an image");
        FileTime kept = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(out.resolve("img0.tif"), kept);

        assertEquals(ExitCodes.OK, spark("local[2]", out, "--resume"));
        sameAsCli(out);
        assertEquals(kept, Files.getLastModifiedTime(out.resolve("img0.tif")), "a finished image was redone");
        assertEquals(List.of(), parts(out));
        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        assertEquals(2, report.get("resumed").asInt());
        assertEquals(IMAGES, report.get("images").size());
        assertTrue(report.get("images").get(0).get("resumed").asBoolean());
        assertFalse(report.get("images").get(2).has("resumed"));
        // the journal now knows all four, so the CLI's --resume would redo none
        assertEquals(IMAGES, Files.readAllLines(out.resolve(".equilibria-batch.jsonl")).size());
        assertEquals(ExitCodes.OK, io.equilibria.cli.Main.run("reconstruct", "deblur", "--input", input.toString(), "--output",
                out.toString(), "--psf", PSF.toString(), "--method", "deq", "--resume", "--report", out.resolve("cli.json").toString()));
        assertEquals(IMAGES, JSON.readTree(out.resolve("cli.json").toFile()).get("resumed").asInt());
    }

    /** Compressed sensing runs as a job too (it has no memory budget or tiling), with the CLI's bytes. */
    @Test
    void compressedSensingGivesTheCliBytes() throws IOException {
        Path in = shared.resolve("cs-in"), truth = shared.resolve("cs-truth");
        Files.createDirectories(in);
        Files.createDirectories(truth);
        for (int i = 0; i < 2; i++) {
            Path gt = truth.resolve("gt" + i + ".tif");
            assertEquals(ExitCodes.OK, io.equilibria.cli.Main.run("simulate", "phantom", "--size", "64x64", "--seed", "" + (40 + i),
                    "--output", gt.toString()));
            assertEquals(ExitCodes.OK, io.equilibria.cli.Main.run("simulate", "cs", "--input", gt.toString(), "--ratio", "0.25",
                    "--seed", "" + i, "--output", in.resolve("m" + i + ".tif").toString()));
        }
        Path cli = shared.resolve("cs-cli"), spark = shared.resolve("cs-spark");
        assertEquals(ExitCodes.OK, io.equilibria.cli.Main.run("reconstruct", "cs", "--input", in.toString(), "--output", cli.toString(),
                "--iterations", "50"));
        assertEquals(ExitCodes.OK, SparkMain.run("reconstruct", "cs", "--input", in.toString(), "--output", spark.toString(),
                "--iterations", "50", "--master", "local[2]"));
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(Files.readAllBytes(cli.resolve("m" + i + ".tif")), Files.readAllBytes(spark.resolve("m" + i + ".tif")));
        }
    }

    /** --input LIST: the images a text file names (one missing), outputs mirrored as listed; the missing one is reported. */
    @Test
    void aListOfImagesIsAJobToo() throws IOException {
        Path list = shared.resolve("todo.txt"), out = shared.resolve("listed");
        Files.writeString(list, "in/img0.tif\nin/img3.tif\nin/gone.tif\n");
        int code = SparkMain.run("reconstruct", "deblur", "--input", list.toString(), "--output", out.toString(), "--psf", PSF.toString(),
                "--method", "deq", "--master", "local[2]", "--report", out.resolve("report.json").toString());
        assertEquals(ExitCodes.PARTIAL, code);
        for (String f : List.of("img0.tif", "img3.tif")) {
            assertArrayEquals(Files.readAllBytes(cliOutput.resolve(f)), Files.readAllBytes(out.resolve("in").resolve(f)));
        }
        JsonNode rows = JSON.readTree(out.resolve("report.json").toFile()).get("images");
        assertEquals(3, rows.size());
        assertEquals("in/gone.tif", rows.get(0).get("relative").asText());
        assertEquals("failed", rows.get(0).get("status").asText());
    }
}
