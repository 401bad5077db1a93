package io.equilibria.cli;

import io.equilibria.certify.TorchScriptFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CertifyCommandTest {
    private static final String MNIST = "sample-images/mnist-test-200";

    private static String captured(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setOut(new PrintStream(b, true));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return b.toString();
    }

    @Test
    void lipschitzCertificatesOverAnIdxSetWriteTablePlotAndRows(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("lip");
        assertEquals(0, Main.run("certify", "--model", "lben-mnist", "--input", MNIST, "--limit", "30", "--method", "lipschitz",
                "--output", out.toString()));
        List<String> rows = Files.readAllLines(out.resolve("certify.csv"));
        assertEquals(31, rows.size(), "header + one row per image");
        List<String> table = Files.readAllLines(out.resolve("certified_accuracy.csv"));
        double previous = 2;
        double first = -1;
        // default radii are sorted except the 36/255 steps; compare each against radius 0
        for (String line : table.subList(1, table.size())) {
            String[] f = line.split(",");
            double acc = Double.parseDouble(f[1]);
            if (first < 0) first = acc;
            assertTrue(acc <= first, "no radius beats radius 0: " + line);
            previous = Math.min(previous, acc);
        }
        assertTrue(first >= 0.9, "clean accuracy of lben-mnist on 30 test digits: " + first);
        assertNotNull(ImageIO.read(out.resolve("certified_accuracy.png").toFile()), "the plot is a readable PNG");
        assertTrue(Files.readString(out.resolve("summary.json")).contains("certifiedAccuracy"));
    }

    @Test
    void smoothingRunsResumeWithoutRecomputing(@TempDir Path dir) {
        Path out = dir.resolve("rs");
        String[] args = {"certify", "--model", "mondeq-mnist", "--input", MNIST, "--limit", "3", "--method", "rs", "--n", "300",
                "--n0", "30", "--batch", "100", "--output", out.toString()};
        assertEquals(0, Main.run(args));
        String again = captured(() -> assertEquals(0, Main.run(concat(args, "--resume"))));
        assertEquals(3, again.split("\\(resumed\\)", -1).length - 1, "all three images come from the journal:\n" + again);
        // other settings cannot resume the same journal
        assertEquals(2, Main.run(concat(concat(args, "--resume"), "--sigma", "0.5")));
    }

    @Test
    void srsRunsOnTheDeqAndASingleImageIsClassified(@TempDir Path dir) {
        String srs = captured(() -> assertEquals(0, Main.run("certify", "--model", "mondeq-mnist", "--input", MNIST, "--limit", "2",
                "--method", "srs", "--n", "1000", "--n0", "50", "--batch", "250", "--srs-recheck", "100", "--srs-steps", "1")));
        assertTrue(srs.contains("serialized randomized smoothing") && srs.contains("S = 1 steps"), srs);
        String one = captured(() -> assertEquals(0, Main.run("certify", "--model", "lben-mnist", "--input",
                "sample-images/mnist_test0_digit7.png", "--method", "lipschitz")));
        assertTrue(one.contains("class 7"), one);
    }

    @Test
    void badInputsAreClearErrors(@TempDir Path dir) throws Exception {
        assertEquals(ExitCodes.BAD_INPUT, Main.run("certify", "--model", "lben-mnist", "--input", "sample-images/cell_blurred.tif",
                "--method", "lipschitz"), "an image of the wrong size");
        assertEquals(ExitCodes.USAGE, Main.run("certify", "--model", "lben-mnist", "--input", MNIST, "--method", "rs", "--srs-steps", "2"));
        assertEquals(ExitCodes.USAGE, Main.run("certify", "--model", "lben-mnist", "--input", MNIST, "--method", "magic"));
        Path pt = dir.resolve("linear.pt");
        float[][] w = new float[10][784];
        for (int c = 0; c < 10; c++) for (int j = 0; j < 784; j++) w[c][j] = (float) Math.sin(c * 784 + j);
        TorchScriptFixture.writeLinear(pt, w, new float[10]);
        assertEquals(ExitCodes.USAGE, Main.run("certify", "--model", pt.toString(), "--input", MNIST, "--method", "rs"),
                "a TorchScript model needs its input size and class count");
        assertEquals(ExitCodes.USAGE, Main.run("certify", "--model", pt.toString(), "--input-size", "1,28,28", "--classes", "10",
                "--input", MNIST, "--method", "srs"), "SRS needs an equilibrium model");
        assertEquals(0, Main.run("certify", "--model", pt.toString(), "--input-size", "1,28,28", "--classes", "10", "--input", MNIST,
                "--limit", "2", "--method", "rs", "--n", "200", "--n0", "20"), "a TorchScript classifier is certified with smoothing");
    }

    @Test
    void benchCertifyRunsEndToEndOnATinyBudget(@TempDir Path dir) throws Exception {
        String out = captured(() -> assertEquals(0, Main.run("bench", "certify", "--count", "2", "--n", "300", "--n0", "30",
                "--sample-batch", "100", "--srs-steps", "1", "--srs-recheck", "50", "--search-steps", "5", "--output", dir.toString())));
        String json = Files.readString(dir.resolve("bench_certify.json"));
        for (String key : List.of("\"smoothing\"", "\"lipschitz\"", "\"lmi\"", "\"speedup\"", "\"empiricalOverBound\"")) {
            assertTrue(json.contains(key), key + " missing in " + json);
        }
        assertTrue(!json.contains("\"holds\" : false"), "every shipped classifier satisfies the LBEN inequality:\n" + out);
        assertNotNull(ImageIO.read(dir.resolve("srs_vs_rs.png").toFile()));
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
