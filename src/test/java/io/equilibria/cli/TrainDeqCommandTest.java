package io.equilibria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.TestSupport;
import io.equilibria.models.ModelCache;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import io.equilibria.reconstruct.deq.DeqModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code train deq} and {@code reconstruct --method deq} as a user runs them, on a tiny model trained in seconds:
 * card contents, resume, reconstruction through the CLI with a report, and the errors for a model of the wrong task
 * or a corrupt file.
 */
class TrainDeqCommandTest {
    @TempDir
    Path dir;

    @AfterEach
    void forget() {
        ModelCache.clear();
    }

    private String[] tiny(String task, String output, int epochs, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "deq", "--task", task));
        a.addAll(List.of(more));
        a.addAll(List.of("--output", output, "--denoiser", "none", "--depth", "3", "--width", "4", "--patch", "32",
                "--batch", "2", "--epochs", String.valueOf(epochs), "--steps-per-epoch", "2", "--validation-images", "1",
                "--forward-iterations", "5", "--backward-iterations", "5", "--seed", "3", "--device", "cpu"));
        return a.toArray(String[]::new);
    }

    @Test
    void trainsResumesAndReconstructsThroughTheCli() throws Exception {
        Path out = dir.resolve("models/tiny-deq"), ck = dir.resolve("ck");
        assertEquals(0, Main.run(tiny("deblur", out.toString(), 1, "--checkpoint", ck.toString())));
        Path card = dir.resolve("models/tiny-deq.json"), params = dir.resolve("models/tiny-deq.params");
        JsonNode c = new ObjectMapper().readTree(card.toFile());
        assertEquals("deq-deblur", c.get("kind").asText());
        assertEquals(ModelStore.sha256(params), c.get("sha256").asText());
        assertEquals("deblur", c.at("/architecture/hyperParameters/task").asText());
        assertEquals(3, c.at("/architecture/hyperParameters/denoiser/depth").asInt());
        assertTrue(c.at("/training/command").asText().startsWith("equilibria train deq --task deblur"));
        assertEquals(1, c.at("/training/history").size());
        double psnr = c.at("/validation/psnr").asDouble();
        assertTrue(psnr > 10 && psnr < 60, "validation PSNR " + psnr);

        // resume to two epochs: the first epoch's history is kept, one more is added
        assertEquals(0, Main.run(tiny("deblur", out.toString(), 2, "--checkpoint", ck.toString(), "--resume", "--overwrite")));
        c = new ObjectMapper().readTree(card.toFile());
        assertEquals(2, c.at("/training/history").size());
        assertTrue(c.at("/validation/psnrBeforeTraining").asDouble() > 10, "the starting model's PSNR is kept across --resume");
        StoredModel m = ModelStore.load(card, TestSupport.manager());
        assertInstanceOf(DeqModel.class, m.block());
        // another setting on --resume is refused
        assertEquals(ExitCodes.USAGE, Main.run(tiny("deblur", out.toString(), 3, "--checkpoint", ck.toString(), "--resume",
                "--overwrite", "--lr", "1e-3")));

        // reconstruct with it through the CLI
        Path img = dir.resolve("blurred.tif"), rec = dir.resolve("rec.tif"), report = dir.resolve("r.json");
        io.equilibria.image.ImageFiles.writeFloatTiff(new io.equilibria.image.ImageData(List.of(TestSupport.scene(48, 40)),
                io.equilibria.image.Calibration.none(), 32), img);
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", img.toString(), "--output", rec.toString(), "--psf",
                "gaussian:1.5", "--method", "deq", "--model", card.toString(), "--strength", "auto:deq", "--report", report.toString(),
                "--device", "cpu"));
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        assertEquals("deq", r.at("/planes/0/parameters/result").asText()); // auto:deq: never the Wiener candidate
        JsonNode p = r.at("/planes/0/parameters");
        assertEquals("tiny-deq", p.get("model").asText());
        assertTrue(p.get("solver").asText().startsWith("anderson"));
        assertTrue(r.at("/planes/0/iterations").asInt() >= 1);
        assertTrue(r.get("device").asText().startsWith("cpu"));

        // a deblurring model refuses compressed sensing; pnp needs a pnp model
        String err = stderrOf(() -> Main.run("reconstruct", "deblur", "--input", img.toString(), "--output",
                dir.resolve("x.tif").toString(), "--psf", "gaussian:1.5", "--method", "pnp", "--model", card.toString()));
        assertTrue(err.contains("DEQ-RED"), err);

        // a corrupt parameter file is a clear error naming the checksum, and nothing is written
        byte[] b = Files.readAllBytes(params);
        b[b.length / 2] ^= 0x40;
        Files.write(params, b);
        ModelCache.clear();
        Path never = dir.resolve("never.tif");
        final int[] code = new int[1];
        err = stderrOf(() -> code[0] = Main.run("reconstruct", "deblur", "--input", img.toString(), "--output", never.toString(),
                "--psf", "gaussian:1.5", "--method", "deq", "--model", card.toString()));
        assertEquals(ExitCodes.BAD_INPUT, code[0]);
        assertTrue(err.contains("SHA-256 mismatch"), err);
        assertTrue(!Files.exists(never));
        assertEquals(ExitCodes.BAD_INPUT, Main.run("reconstruct", "deblur", "--input", img.toString(), "--output",
                never.toString(), "--psf", "gaussian:1.5", "--method", "deq", "--model", "no-such-model"));
    }

    /** The other forms and tasks end to end: a PnP model, a CS model on a simulated measurement, multi-frame deblurring. */
    @Test
    void pnpCompressedSensingAndMultiFrame() throws Exception {
        Path gt = dir.resolve("gt.tif");
        io.equilibria.image.ImageFiles.writeFloatTiff(new io.equilibria.image.ImageData(List.of(TestSupport.scene(64, 64)),
                io.equilibria.image.Calibration.none(), 32), gt);
        // PnP deblurring, multi-frame (3 observations, one PSF slice each)
        Path pnp = dir.resolve("tiny-pnp");
        assertEquals(0, Main.run(tiny("deblur", pnp.toString(), 1, "--form", "pnp", "--gradient", "jfb")));
        Path y = dir.resolve("mf.tif"), psf = dir.resolve("mf_psf.tif"), x = dir.resolve("mf_pnp.tif"), rep = dir.resolve("mf.json");
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:1.5", "--frames", "3",
                "--noise-sigma", "0.01", "--seed", "2", "--output", y.toString()));
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", psf.toString(), "--multi-frame",
                "--method", "pnp", "--model", dir.resolve("tiny-pnp.json").toString(), "--output", x.toString(),
                "--report", rep.toString()));
        assertEquals(1, io.equilibria.image.ImageFiles.read(x).size());
        JsonNode r = new ObjectMapper().readTree(rep.toFile());
        assertEquals("pnp", r.at("/planes/0/parameters/form").asText());
        // --method deq runs a model in its own form; the RED-only ODER refuses the PnP model
        Path xd = dir.resolve("mf_deq.tif"), repd = dir.resolve("mf_deq.json");
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", psf.toString(), "--multi-frame",
                "--method", "deq", "--model", dir.resolve("tiny-pnp.json").toString(), "--output", xd.toString(),
                "--report", repd.toString()));
        JsonNode rd = new ObjectMapper().readTree(repd.toFile());
        assertEquals("pnp", rd.at("/planes/0/parameters/form").asText());
        assertEquals("deq", rd.at("/method").asText());
        assertEquals(ExitCodes.BAD_INPUT, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", psf.toString(),
                "--multi-frame", "--method", "oder", "--model", dir.resolve("tiny-pnp.json").toString(), "--output",
                dir.resolve("never_oder.tif").toString()));
        // CS
        Path cs = dir.resolve("tiny-cs");
        assertEquals(0, Main.run(tiny("cs", cs.toString(), 1)));
        Path meas = dir.resolve("meas.tif"), rec = dir.resolve("cs.tif"), crep = dir.resolve("cs.json");
        assertEquals(0, Main.run("simulate", "cs", "--input", gt.toString(), "--ratio", "0.25", "--noise-sigma", "0.01",
                "--seed", "4", "--output", meas.toString()));
        assertEquals(0, Main.run("reconstruct", "cs", "--input", meas.toString(), "--method", "deq", "--model",
                dir.resolve("tiny-cs.json").toString(), "--output", rec.toString(), "--report", crep.toString()));
        JsonNode c = new ObjectMapper().readTree(crep.toFile());
        assertEquals("tiny-cs", c.at("/parameters/model").asText());
        // the default strength is cross-validated on held-out measurement rows, and the report shows the walk
        assertEquals("cross-validation", c.at("/parameters/strengthChosenBy").asText());
        assertTrue(c.at("/parameters/strengthSearch").size() >= 2);
        assertTrue(c.at("/parameters/strengthSearch/0/heldOutResidual").asDouble() > 0);
        assertTrue(c.get("noiseSigma").asDouble() > 0);
        // the deblurring model is refused for CS
        assertEquals(ExitCodes.BAD_INPUT, Main.run("reconstruct", "cs", "--input", meas.toString(), "--method", "pnp", "--model",
                dir.resolve("tiny-pnp.json").toString(), "--output", dir.resolve("never.tif").toString()));
    }

    @Test
    void badOptionsAreUsageErrors() {
        String out = dir.resolve("bad").toString();
        assertEquals(ExitCodes.USAGE, Main.run("train", "deq", "--output", out));
        assertEquals(ExitCodes.USAGE, Main.run(tiny("denoise", out, 1)));
        assertEquals(ExitCodes.USAGE, Main.run(tiny("deblur", out, 1, "--form", "admm")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny("deblur", out, 1, "--gradient", "magic")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny("cs", out, 1, "--patch", "40")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny("deblur", out, 1, "--sigma-min", "0.2", "--sigma-max", "0.1")));
        assertEquals(ExitCodes.USAGE, Main.run("reconstruct", "deblur", "--input", out, "--output", out, "--psf", "gaussian:1",
                "--method", "rl", "--model", "deq-deblur"));
    }

    private static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
