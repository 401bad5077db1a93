package io.equilibria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.TestSupport;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code train denoiser} as a user runs it, on a tiny configuration. */
class TrainCommandTest {
    @TempDir
    Path dir;

    /** The tiny run; {@code more} comes first, since a repeated option takes its first value. */
    private String[] tiny(String output, String... more) {
        String[] base = {"--output", output, "--patch", "32", "--batch", "4", "--epochs", "1",
                "--steps-per-epoch", "3", "--arch", "dncnn", "--depth", "3", "--width", "4", "--validation-images", "2", "--seed", "5",
                "--device", "cpu"};
        String[] all = new String[2 + more.length + base.length];
        all[0] = "train";
        all[1] = "denoiser";
        System.arraycopy(more, 0, all, 2, more.length);
        System.arraycopy(base, 0, all, 2 + more.length, base.length);
        return all;
    }

    @Test
    void trainsATinyDenoiserAndWritesParametersWithACard() throws Exception {
        Path out = dir.resolve("models/tiny");
        assertEquals(0, Main.run(tiny(out.toString(), "--checkpoint", dir.resolve("ck").toString())));
        Path params = dir.resolve("models/tiny.params"), card = dir.resolve("models/tiny.json");
        assertTrue(Files.isRegularFile(params) && Files.isRegularFile(card));
        assertTrue(Files.isRegularFile(dir.resolve("ck/checkpoint.params")));
        JsonNode c = new ObjectMapper().readTree(card.toFile());
        assertEquals(ModelStore.sha256(params), c.get("sha256").asText());
        assertEquals("tiny", c.get("name").asText());
        assertEquals("denoiser", c.get("kind").asText());
        assertEquals(3, c.at("/architecture/hyperParameters/depth").asInt());
        assertEquals(32, c.at("/architecture/hyperParameters/normSize").asInt());
        assertEquals(4, c.at("/architecture/hyperParameters/width").asInt());
        String command = c.at("/training/command").asText();
        assertTrue(command.startsWith("equilibria train denoiser ") && command.contains("--output " + out), command);
        assertEquals(5, c.at("/training/seed").asLong());
        assertEquals(1, c.at("/training/history").size());
        double psnr = c.at("/validation/psnr").elements().next().asDouble();
        assertTrue(psnr > 10 && psnr < 60, "validation PSNR " + psnr);
        assertTrue(c.at("/validation/noisyPsnr").size() == 3 && c.at("/validation/blindPsnr").size() == 2);
        StoredModel m = ModelStore.load(card, TestSupport.manager());
        assertEquals("tiny", m.card().name());

        // the same output again needs --overwrite (exit 5 without)
        assertEquals(ExitCodes.OUTPUT, Main.run(tiny(out.toString())));
        assertEquals(0, Main.run(tiny(out.toString(), "--overwrite", "--lr-schedule", "step")));
    }

    @Test
    void trainsATinyUNetThroughTheSameCommand() throws Exception {
        Path out = dir.resolve("models/tiny-unet");
        assertEquals(0, Main.run("train", "denoiser", "--arch", "unet", "--widths", "4,8", "--output", out.toString(),
                "--patch", "32", "--batch", "2", "--epochs", "1", "--steps-per-epoch", "2", "--validation-images", "1",
                "--sigma-max", "0.2", "--sigma-distribution", "low", "--seed", "5", "--device", "cpu"));
        JsonNode c = new ObjectMapper().readTree(dir.resolve("models/tiny-unet.json").toFile());
        assertEquals("io.equilibria.priors.UNet", c.at("/architecture/type").asText());
        assertEquals("unet", c.at("/architecture/hyperParameters/type").asText());
        assertEquals(2, c.at("/architecture/hyperParameters/widths").size());
        assertEquals("low", c.at("/training/settings/sigmaDistribution").asText());
        assertEquals(4, c.at("/validation/psnr").size(), "sigma-max 0.2 also validates at 0.01");
        assertTrue(ModelStore.load(dir.resolve("models/tiny-unet.json"), TestSupport.manager()).block() instanceof io.equilibria.priors.UNet);
        String bad = dir.resolve("bad-unet").toString();
        assertEquals(ExitCodes.USAGE, Main.run("train", "denoiser", "--arch", "unet", "--depth", "3", "--output", bad));
        assertEquals(ExitCodes.USAGE, Main.run("train", "denoiser", "--arch", "unet", "--widths", "4,x", "--output", bad));
        assertEquals(ExitCodes.USAGE, Main.run("train", "denoiser", "--arch", "unet", "--widths", "4", "--output", bad));
        assertEquals(ExitCodes.USAGE, Main.run("train", "denoiser", "--arch", "resnet", "--output", bad));
        assertEquals(ExitCodes.USAGE, Main.run("train", "denoiser", "--sigma-distribution", "wide", "--output", bad));
    }

    @Test
    void badOptionsAreUsageErrors() {
        String out = dir.resolve("bad").toString();
        assertEquals(ExitCodes.USAGE, Main.run("train"));
        assertEquals(ExitCodes.USAGE, Main.run("train", "everything", "--output", out));
        assertEquals(ExitCodes.USAGE, Main.run("train", "denoiser"));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--epochs", "0")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--sigma-max", "-0.1")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--lr", "fast")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--lr-schedule", "wavy")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--depth", "1")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--resume")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--phantom-fraction", "0.3")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--data", dir.resolve("no-such-folder").toString())));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(out, "--device", "tpu")));
        assertEquals(ExitCodes.USAGE, Main.run(tiny(dir.resolve("bad name!").toString())));
        assertEquals(ExitCodes.OK, Main.run("train", "--help"));
        assertTrue(!Files.exists(dir.resolve("bad.params")));
    }
}
