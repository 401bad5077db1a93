package io.equilibria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.TestSupport;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.models.ModelCache;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code train oder} and {@code reconstruct --method oder} as a user runs them: a tiny ODER model trained on multi-view
 * problems (its card), multi-frame deblurring and block CS through the CLI with the report's ODER fields, seeded
 * reproducibility, and the errors (a single-block measurement, too large a batch, ODER options on other methods).
 */
class OderCommandTest {
    @TempDir
    Path dir;

    @AfterEach
    void forget() {
        ModelCache.clear();
    }

    private String[] tiny(String task, String output, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "oder", "--task", task));
        a.addAll(List.of(more));
        a.addAll(List.of("--output", output, "--denoiser", "none", "--depth", "3", "--width", "4", "--patch", "32",
                "--batch", "2", "--epochs", "1", "--steps-per-epoch", "2", "--validation-images", "1",
                "--forward-iterations", "8", "--backward-iterations", "5", "--seed", "3", "--device", "cpu"));
        return a.toArray(String[]::new);
    }

    @Test
    void trainsAndReconstructsMultiFrameAndCs() throws Exception {
        Path model = dir.resolve("tiny-oder");
        assertEquals(0, Main.run(tiny("deblur", model.toString(), "--blocks", "4", "--minibatch", "2")));
        JsonNode card = new ObjectMapper().readTree(dir.resolve("tiny-oder.json").toFile());
        assertEquals("oder-deblur", card.get("kind").asText());
        assertTrue(card.at("/training/command").asText().startsWith("equilibria train oder --task deblur"));
        assertEquals(4, card.at("/training/settings/blocks").asInt());
        assertEquals(2, card.at("/training/settings/oder/batch").asInt());
        assertTrue(card.at("/training/settings/forwardSolver").asText().startsWith("nesterov"));

        Path gt = dir.resolve("gt.tif");
        ImageFiles.writeFloatTiff(new ImageData(List.of(TestSupport.scene(64, 64)), Calibration.none(), 32), gt);
        Path y = dir.resolve("mf.tif"), psf = dir.resolve("mf_psf.tif");
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:1.5", "--frames", "4",
                "--noise-sigma", "0.01", "--seed", "2", "--output", y.toString()));
        Path modelCard = dir.resolve("tiny-oder.json");
        double[] first = null;
        for (int run = 0; run < 2; run++) {
            Path x = dir.resolve("oder" + run + ".tif"), rep = dir.resolve("oder" + run + ".json");
            assertEquals(0, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", psf.toString(), "--multi-frame",
                    "--method", "oder", "--batch", "2", "--seed", "7", "--iterations", "30", "--model", modelCard.toString(),
                    "--output", x.toString(), "--report", rep.toString()));
            JsonNode p = new ObjectMapper().readTree(rep.toFile()).at("/planes/0/parameters");
            assertEquals("minibatch (ODER)", p.get("data").asText());
            assertEquals(4, p.get("blocks").asInt());
            assertEquals(2, p.get("blocksPerIteration").asInt());
            assertEquals(0.5, p.get("blockFraction").asDouble(), 1e-12);
            assertTrue(p.get("solver").asText().startsWith("nesterov"));
            float[] d = ImageFiles.read(x).planes().get(0).data();
            double[] v = new double[d.length];
            for (int i = 0; i < d.length; i++) v[i] = d[i];
            if (first == null) first = v;
            else assertArrayEquals(first, v, 0, "the same --seed gives the same result");
        }
        // a single observation has one block: nothing to subsample
        Path single = dir.resolve("single.tif");
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:1.5", "--noise-sigma", "0.01",
                "--seed", "2", "--output", single.toString()));
        assertEquals(ExitCodes.BAD_INPUT, Main.run("reconstruct", "deblur", "--input", single.toString(), "--psf", "gaussian:1.5",
                "--method", "oder", "--model", modelCard.toString(), "--output", dir.resolve("never.tif").toString()));
        assertEquals(ExitCodes.BAD_INPUT, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", psf.toString(),
                "--multi-frame", "--method", "oder", "--batch", "5", "--model", modelCard.toString(), "--output",
                dir.resolve("never.tif").toString()));
        assertFalse(Files.exists(dir.resolve("never.tif")));

        // CS: measurements in 8 row groups (simulate's default), 2 per iteration
        Path cs = dir.resolve("tiny-oder-cs");
        assertEquals(0, Main.run(tiny("cs", cs.toString())));
        Path meas = dir.resolve("meas.tif"), rec = dir.resolve("cs.tif"), crep = dir.resolve("cs.json");
        assertEquals(0, Main.run("simulate", "cs", "--input", gt.toString(), "--ratio", "0.25", "--noise-sigma", "0.01",
                "--seed", "4", "--output", meas.toString()));
        assertEquals(0, Main.run("reconstruct", "cs", "--input", meas.toString(), "--method", "oder", "--sampling", "stratified",
                "--iterations", "20", "--model", dir.resolve("tiny-oder-cs.json").toString(), "--output", rec.toString(),
                "--report", crep.toString()));
        JsonNode c = new ObjectMapper().readTree(crep.toFile());
        assertEquals("stratified", c.at("/parameters/sampling").asText());
        assertEquals(8, c.at("/parameters/blocks").asInt());
    }

    @Test
    void badOptionsAreUsageErrors() {
        String out = dir.resolve("bad").toString();
        assertEquals(ExitCodes.USAGE, Main.run(tiny("deblur", out, "--form", "pnp")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny("deblur", out, "--minibatch", "9")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny("deblur", out, "--sampling", "random")));
        assertEquals(ExitCodes.USAGE, Main.run("reconstruct", "deblur", "--input", out, "--output", out, "--psf", "gaussian:1",
                "--method", "deq", "--batch", "2"));
        assertEquals(ExitCodes.USAGE, Main.run("reconstruct", "deblur", "--input", out, "--output", out, "--psf", "gaussian:1",
                "--method", "oder", "--scaling", "half"));
        assertEquals(ExitCodes.USAGE, Main.run("reconstruct", "deblur", "--input", out, "--output", out, "--psf", "gaussian:1",
                "--method", "oder", "--step", "huge"));
    }
}
