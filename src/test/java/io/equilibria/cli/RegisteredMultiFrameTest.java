package io.equilibria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.image.ImageFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code reconstruct deblur --multi-frame --register} as a user runs it: views of a specimen that drifts and turns
 * between them (simulate deblur --drift --rotation, its true transforms written beside), registered and deblurred
 * together; the result must be as good as from views that never moved, and much better than the moving views taken
 * as aligned. The report and the output's metadata give the transforms.
 */
class RegisteredMultiFrameTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static double psnr(Path dir, String input, String psf, String... more) throws Exception {
        Path report = dir.resolve(input + (more.length > 0 ? "-reg" : "") + ".json");
        String[] base = {"reconstruct", "deblur", "--input", dir.resolve(input + ".tif").toString(), "--psf", dir.resolve(psf).toString(),
                "--multi-frame", "--reference", dir.resolve("gt.tif").toString(), "--output", dir.resolve(input + "-out" + more.length + ".tif").toString(),
                "--report", report.toString()};
        String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(base), java.util.Arrays.stream(more)).toArray(String[]::new);
        assertEquals(ExitCodes.OK, Main.run(args));
        return JSON.readTree(report.toFile()).get("psnr").asDouble();
    }

    @Test
    void driftingViewsRegisteredFirstDeblurAsWellAsStillOnes(@TempDir Path dir) throws Exception {
        Path gt = dir.resolve("gt.tif");
        assertEquals(ExitCodes.OK, Main.run("simulate", "phantom", "--size", "128x128", "--seed", "31", "--output", gt.toString()));
        String[] sim = {"simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:1.5", "--frames", "4", "--noise-sigma", "0.01", "--seed", "7"};
        assertEquals(ExitCodes.OK, Main.run(concat(sim, "--output", dir.resolve("still.tif").toString())));
        assertEquals(ExitCodes.OK, Main.run(concat(sim, "--output", dir.resolve("moving.tif").toString(), "--drift", "4", "--rotation", "2")));

        double still = psnr(dir, "still", "still_psf.tif");
        double registered = psnr(dir, "moving", "moving_psf.tif", "--register");
        double raw = psnr(dir, "moving", "moving_psf.tif");
        assertTrue(registered > still - 0.3, "registered " + registered + " dB vs still views " + still + " dB");
        assertTrue(raw < still - 2, "the moving views taken as aligned should blur the result: " + raw + " vs " + still + " dB");

        JsonNode reg = JSON.readTree(dir.resolve("moving-reg.json").toFile()).get("registration");
        assertEquals("euclidean", reg.get("motion").asText());
        assertEquals(4, reg.get("frames").size());
        // the report's maps agree with the simulation's truth
        JsonNode truth = JSON.readTree(dir.resolve("moving_motions.json").toFile()).get("frames");
        for (int k = 1; k < 4; k++) {
            JsonNode f = reg.get("frames").get(k), m = truth.get(k).get("matrix");
            var found = new io.equilibria.image.registration.Transform2d(f.get("matrix").get(0).asDouble(), f.get("matrix").get(1).asDouble(),
                    f.get("matrix").get(2).asDouble(), f.get("matrix").get(3).asDouble(), f.get("matrix").get(4).asDouble(),
                    f.get("matrix").get(5).asDouble(), null, Double.NaN);
            var expected = new io.equilibria.image.registration.Transform2d(m.get(0).get(0).asDouble(), m.get(0).get(1).asDouble(),
                    m.get(0).get(2).asDouble(), m.get(1).get(0).asDouble(), m.get(1).get(1).asDouble(), m.get(1).get(2).asDouble(), null, Double.NaN);
            double rms = found.rmsDistance(expected, 128, 128);
            assertTrue(rms < 0.2, "frame " + (k + 1) + " registered " + rms + " px RMS from the truth");
        }
        String info = ImageFiles.read(dir.resolve("moving-out1.tif")).info().get("source-info");
        assertTrue(info.contains("equilibria.registration = 4 frames registered (euclidean, to frame 1)"), info);
    }

    @Test
    void registrationNeedsMultiFrame(@TempDir Path dir) {
        assertEquals(ExitCodes.USAGE, Main.run("reconstruct", "deblur", "--input", dir.resolve("x.tif").toString(), "--psf", "gaussian:2",
                "--register", "--output", dir.resolve("y.tif").toString()));
        assertEquals(ExitCodes.USAGE, Main.run("reconstruct", "deblur", "--input", dir.resolve("x.tif").toString(), "--psf", "gaussian:2",
                "--multi-frame", "--motion", "affine", "--output", dir.resolve("y.tif").toString()));
    }

    private static String[] concat(String[] a, String... more) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(more)).toArray(String[]::new);
    }
}
