package io.equilibria.certify;

import ai.djl.Device;
import io.equilibria.errors.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A hand-written TorchScript archive loaded by DJL: logits equal the same maps computed in Java, errors are clear. */
class TorchScriptClassifierTest {
    private static final int[] CHW = {2, 2, 3};
    private static final int D = 12, CLASSES = 3;

    @TempDir Path dir;

    private static float[][] matrix(Random r, int rows, int cols) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) for (int k = 0; k < cols; k++) row[k] = (float) r.nextGaussian();
        return m;
    }

    private static float[] vector(Random r, int n) {
        return matrix(r, 1, n)[0];
    }

    private static double[] linear(float[][] w, float[] b, double[] x) {
        double[] y = new double[w.length];
        for (int j = 0; j < w.length; j++) {
            double s = b[j];
            for (int k = 0; k < x.length; k++) s += w[j][k] * x[k];
            y[j] = s;
        }
        return y;
    }

    private static double[] normalised(float[] x, float[] mean, float[] std) {
        int perChannel = CHW[1] * CHW[2];
        double[] z = new double[x.length];
        for (int k = 0; k < x.length; k++) {
            int c = k / perChannel;
            z[k] = ((double) x[k] - (mean.length > 0 ? mean[c] : 0)) / (std.length > 0 ? std[c] : 1);
        }
        return z;
    }

    @Test
    void linearLogitsMatchJavaOnNormalisedInputs() throws IOException {
        Random r = new Random(11);
        float[][] w = matrix(r, CLASSES, D);
        float[] b = vector(r, CLASSES);
        Path file = dir.resolve("linear.pt");
        TorchScriptFixture.writeLinear(file, w, b);
        float[] mean = {0.5f, -1f}, std = {2f, 0.25f};
        try (BlockClassifier c = TorchScriptClassifier.load(file, CLASSES, CHW, mean, std, Device.cpu())) {
            assertEquals(CLASSES, c.numClasses());
            assertArrayEquals(CHW, c.inputShape());
            float[][] batch = matrix(r, 7, D);
            float[][] logits = c.logits(batch);
            for (int i = 0; i < batch.length; i++) {
                double[] expected = linear(w, b, normalised(batch[i], mean, std));
                for (int j = 0; j < CLASSES; j++) assertEquals(expected[j], logits[i][j], 1e-5, "logit " + i + "," + j);
            }
            assertArrayEquals(Classifier.labels(logits), c.classify(batch));
        }
    }

    @Test
    void normalisationIsApplied() throws IOException {
        Random r = new Random(5);
        Path file = dir.resolve("model.torchscript");
        TorchScriptFixture.writeLinear(file, matrix(r, CLASSES, D), vector(r, CLASSES));
        float[] mean = {3f, -2f}, std = {0.5f, 4f};
        float[][] x = matrix(r, 4, D);
        float[][] z = new float[4][D]; // the same inputs normalised by hand
        for (int i = 0; i < 4; i++) for (int k = 0; k < D; k++) z[i][k] = (x[i][k] - mean[k / 6]) / std[k / 6];
        try (BlockClassifier raw = TorchScriptClassifier.load(file, CLASSES, CHW, new float[0], new float[0], Device.cpu());
             BlockClassifier norm = TorchScriptClassifier.load(file, CLASSES, CHW, mean, std, Device.cpu())) {
            float[][] a = norm.logits(x), e = raw.logits(z), plain = raw.logits(x);
            double difference = 0;
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < CLASSES; j++) {
                    assertEquals(e[i][j], a[i][j], 1e-5);
                    difference = Math.max(difference, Math.abs(plain[i][j] - a[i][j]));
                }
            }
            assertTrue(difference > 0.1, "normalisation changes the logits");
        }
    }

    @Test
    void hiddenReluLayerMatchesJava() throws IOException {
        Random r = new Random(7);
        float[][] w1 = matrix(r, 5, D), w2 = matrix(r, CLASSES, 5);
        float[] b1 = vector(r, 5), b2 = vector(r, CLASSES);
        Path file = dir.resolve("mlp.pth");
        TorchScriptFixture.writeMlp(file, w1, b1, w2, b2);
        try (BlockClassifier c = TorchScriptClassifier.load(file, CLASSES, CHW, new float[0], new float[0], Device.cpu())) {
            float[][] batch = matrix(r, 6, D);
            float[][] logits = c.logits(batch);
            for (int i = 0; i < batch.length; i++) {
                double[] h = linear(w1, b1, normalised(batch[i], new float[0], new float[0]));
                for (int k = 0; k < h.length; k++) h[k] = Math.max(0, h[k]);
                double[] expected = linear(w2, b2, h);
                for (int j = 0; j < CLASSES; j++) assertEquals(expected[j], logits[i][j], 1e-5);
            }
        }
    }

    @Test
    void wrongClassesOrInputShapeFailAtLoad() throws IOException {
        Random r = new Random(1);
        Path file = dir.resolve("linear.pt");
        TorchScriptFixture.writeLinear(file, matrix(r, CLASSES, D), vector(r, CLASSES));
        ModelException classes = assertThrows(ModelException.class,
                () -> TorchScriptClassifier.load(file, 10, CHW, new float[0], new float[0], Device.cpu()));
        assertTrue(classes.getMessage().contains("(2, 3)") && classes.getMessage().contains("number of classes"),
                classes.getMessage());
        ModelException shape = assertThrows(ModelException.class,
                () -> TorchScriptClassifier.load(file, CLASSES, new int[] {1, 28, 28}, new float[0], new float[0], Device.cpu()));
        assertTrue(shape.getMessage().contains("(2, 1, 28, 28)") && shape.getMessage().contains("input size") && shape.getMessage().contains("mat1 and mat2"),
                shape.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> TorchScriptClassifier.load(file, 0, CHW, new float[0], new float[0], Device.cpu()));
        assertThrows(IllegalArgumentException.class,
                () -> TorchScriptClassifier.load(file, CLASSES, new int[] {2, 6}, new float[0], new float[0], Device.cpu()));
        assertThrows(IllegalArgumentException.class,
                () -> TorchScriptClassifier.load(file, CLASSES, CHW, new float[] {0f}, new float[0], Device.cpu()));
    }

    @Test
    void filesThatAreNotTorchScriptAreRefused() throws IOException {
        ModelException missing = assertThrows(ModelException.class, () -> load(dir.resolve("absent.pt")));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());

        Path text = Files.writeString(dir.resolve("notes.pt"), "not a model");
        ModelException notZip = assertThrows(ModelException.class, () -> load(text));
        assertTrue(notZip.getMessage().contains("not a TorchScript archive"), notZip.getMessage());

        Path stateDict = dir.resolve("weights.pth"); // what torch.save(model.state_dict()) looks like: no code/
        zip(stateDict, "archive/data.pkl", "archive/data/0", "archive/version");
        ModelException noCode = assertThrows(ModelException.class, () -> load(stateDict));
        assertTrue(noCode.getMessage().contains("state_dict"), noCode.getMessage());

        Path broken = dir.resolve("broken.pt"); // has the layout, but PyTorch cannot read it
        zip(broken, "archive/data.pkl", "archive/code/__torch__.py", "archive/constants.pkl", "archive/version");
        ModelException engine = assertThrows(ModelException.class, () -> load(broken));
        assertTrue(engine.getMessage().contains("PyTorch could not load"), engine.getMessage());
    }

    private static BlockClassifier load(Path file) {
        return TorchScriptClassifier.load(file, CLASSES, CHW, new float[0], new float[0], Device.cpu());
    }

    private static void zip(Path file, String... names) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            for (String n : names) {
                z.putNextEntry(new ZipEntry(n));
                z.write((n.endsWith("version") ? "3\n" : "junk").getBytes(StandardCharsets.US_ASCII));
                z.closeEntry();
            }
        }
    }
}
