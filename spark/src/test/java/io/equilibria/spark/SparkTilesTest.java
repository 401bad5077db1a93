package io.equilibria.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import io.equilibria.cli.ExitCodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An image too large for one task's memory budget (here forced with --tile) becomes one task per tile, each solving
 * its tile across the stack's planes with the warm starts of the sequential run, and one task that blends the parts:
 * the output is the CLI's, byte for byte, even when a tile task dies and is retried; an image that fits stays one task.
 */
class SparkTilesTest {
    private static final Path PSF = Path.of("sample-images/psf_gaussian2.tif");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @AfterEach
    void noHook() {
        System.clearProperty(ImageTask.FAIL_FIRST_ATTEMPT);
    }

    private static ImagePlus crop(String sample, int x, int y, int w, int h) {
        ImagePlus s = IJ.openImage(sample);
        s.setRoi(x, y, w, h);
        return s.crop();
    }

    @Test
    void aTiledStackIsSpreadOverTileTasksAndGivesTheCliBytes() throws IOException {
        Path in = dir.resolve("in");
        Files.createDirectories(in);
        ImageStack stack = new ImageStack(128, 112);
        stack.addSlice(crop("sample-images/cell_blurred.tif", 10, 20, 128, 112).getProcessor());
        stack.addSlice(crop("sample-images/cell_blurred.tif", 12, 21, 128, 112).getProcessor());
        IJ.saveAsTiff(new ImagePlus("stack", stack), in.resolve("stack.tif").toString());
        IJ.saveAsTiff(crop("sample-images/tem_brightfield.png", 40, 40, 60, 60), in.resolve("small.tif").toString());
        List<String> common = List.of("deblur", "--input", in.toString(), "--psf", PSF.toString(), "--method", "deq", "--iterations", "5",
                "--tile", "64");

        Path cli = dir.resolve("cli");
        assertEquals(ExitCodes.OK, io.equilibria.cli.Main.run(Stream.concat(Stream.of("reconstruct"), Stream.concat(common.stream(),
                Stream.of("--output", cli.toString(), "--report", dir.resolve("cli.json").toString()))).toArray(String[]::new)));

        System.setProperty(ImageTask.FAIL_FIRST_ATTEMPT, "stack.tif#1"); // a tile task dies once
        Path out = dir.resolve("spark");
        assertEquals(ExitCodes.OK, SparkMain.run(Stream.concat(Stream.of("reconstruct"), Stream.concat(common.stream(),
                Stream.of("--output", out.toString(), "--report", out.resolve("report.json").toString(), "--master", "local[2,3]")))
                .toArray(String[]::new)));

        for (String f : List.of("stack.tif", "small.tif")) {
            assertArrayEquals(Files.readAllBytes(cli.resolve(f)), Files.readAllBytes(out.resolve(f)), f + " differs from the CLI's");
        }
        JsonNode ours = JSON.readTree(out.resolve("report.json").toFile()).get("images");
        JsonNode theirs = JSON.readTree(dir.resolve("cli.json").toFile()).get("images");
        assertEquals(2, ours.size());
        for (int i = 0; i < 2; i++) {
            for (String f : List.of("relative", "status", "iterations", "residual", "converged")) {
                assertEquals(theirs.get(i).get(f), ours.get(i).get(f), f + " of " + theirs.get(i).get("relative"));
            }
        }
        try (Stream<Path> s = Files.walk(out)) {
            List<String> left = s.map(p -> out.relativize(p).toString()).filter(n -> n.contains(".parts-") || n.endsWith(".part")).toList();
            assertEquals(List.of(), left, "tile parts or partial files left behind");
        }
        assertEquals(2, Files.readAllLines(out.resolve(".equilibria-batch.jsonl")).size(), "one journal line per image");
    }
}
