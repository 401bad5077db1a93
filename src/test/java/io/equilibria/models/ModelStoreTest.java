package io.equilibria.models;

import io.equilibria.errors.ModelException;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.priors.Denoiser;
import io.equilibria.priors.DnCnn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelStoreTest {
    @TempDir
    Path dir;
    private NDManager m;

    @BeforeEach
    void open() {
        m = TestSupport.manager().newSubManager();
    }

    @AfterEach
    void close() {
        m.close();
        System.clearProperty("equilibria.models");
    }

    private ModelCard saveTiny(String name, int width) {
        DnCnn net = new DnCnn(DnCnn.Config.defaults().withDepth(3).withWidth(width).withNormSize(16).withSeed(width));
        net.initialize(m);
        net.scaleKernelsToBound(50);
        ModelCard card = ModelCard.of(name, "denoiser", net.describe(), net.architecture(),
                new ModelCard.Training("test", List.of(Map.of("kind", "none")), 1L, Map.of(), List.of(), 0.0),
                Map.of("psnr", Map.of("sigma=0.05", 30.0)));
        return ModelStore.save(dir, card, net);
    }

    private static String message(Runnable r) {
        return assertThrows(ModelException.class, r::run).getMessage();
    }

    @Test
    void saveThenLoadGivesIdenticalOutputs() throws Exception {
        DnCnn net = new DnCnn(DnCnn.Config.defaults().withDepth(3).withWidth(4).withNormSize(16).withSeed(9));
        net.initialize(m);
        net.scaleKernelsToBound(50);
        ModelCard card = ModelStore.save(dir, ModelCard.of("tiny", "denoiser", net.describe(), net.architecture(),
                null, Map.of()), net);
        assertEquals(ModelStore.sha256(dir.resolve("tiny.params")), card.sha256());
        assertEquals(Files.size(dir.resolve("tiny.params")), card.parameterBytes());
        assertEquals("tiny.params", card.parameters());
        assertTrue(card.versions().containsKey("djl") && card.created() != null);
        ModelCard read = ModelStore.readCard(dir.resolve("tiny.json"));
        assertEquals(ModelStore.cardText(card), ModelStore.cardText(read), "the card survives a JSON round trip");
        assertEquals(DnCnn.class.getName(), read.architecture().type());

        NDArray x = TestSupport.random(m, new Shape(2, 1, 24, 20), 3).mul(0.1).add(0.4);
        NDArray s = m.create(new float[] {0.03f, 0.08f});
        float[] want = net.denoise(x, s).toFloatArray();
        for (String ref : List.of(dir.resolve("tiny.json").toString(), dir.resolve("tiny.params").toString())) {
            StoredModel loaded = ModelStore.load(ref, m);
            assertEquals(card.sha256(), loaded.card().sha256());
            assertArrayEquals(want, ((Denoiser) loaded.block()).denoise(x, s).toFloatArray(), 0f, ref);
        }
        System.setProperty("equilibria.models", dir.toString());
        assertEquals(dir.resolve("tiny.json"), ModelStore.resolve("tiny"));
        assertTrue(ModelStore.available().contains("tiny"));
        assertArrayEquals(want, io.equilibria.priors.DenoiserHolder.load("tiny", m).denoise(x, s).toFloatArray(), 0f);
    }

    @Test
    void aChangedParameterFileFailsTheChecksum() throws Exception {
        ModelCard card = saveTiny("flipped", 4);
        Path p = dir.resolve("flipped.params");
        byte[] b = Files.readAllBytes(p);
        b[b.length / 2] ^= 0x10;
        Files.write(p, b);
        String msg = message(() -> ModelStore.load(dir.resolve("flipped.json"), m));
        assertTrue(msg.contains(p.toString()) && msg.contains("SHA-256 mismatch") && msg.contains(card.sha256())
                && msg.contains(ModelStore.sha256(p)), msg);
    }

    @Test
    void aTruncatedFileIsAClearError() throws Exception {
        saveTiny("short", 4);
        Path p = dir.resolve("short.params"), json = dir.resolve("short.json");
        byte[] b = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(b, b.length - 100));
        assertTrue(message(() -> ModelStore.load(json, m)).contains("SHA-256 mismatch"));
        // even with a card that vouches for the truncated file, loading fails cleanly
        String text = Files.readString(json).replaceAll("\"sha256\" : \"[0-9a-f]+\"", "\"sha256\" : \"" + ModelStore.sha256(p) + "\"");
        Files.writeString(json, text);
        String msg = message(() -> ModelStore.load(json, m));
        assertTrue(msg.contains(p.toString()) && (msg.contains("truncated") || msg.contains("corrupt")), msg);
        Files.write(p, new byte[0]);
        Files.writeString(json, text.replaceAll("\"sha256\" : \"[0-9a-f]+\"", "\"sha256\" : \"" + ModelStore.sha256(p) + "\""));
        assertTrue(message(() -> ModelStore.load(json, m)).contains("truncated"));
    }

    @Test
    void aCardWhoseArchitectureDoesNotFitTheParametersIsAClearError() throws Exception {
        saveTiny("wide", 6);
        Path json = dir.resolve("wide.json");
        String original = Files.readString(json);
        Files.writeString(json, original.replace("\"width\" : 6", "\"width\" : 5"));
        String msg = message(() -> ModelStore.load(json, m));
        assertTrue(msg.contains("wide.params") && msg.contains("shape") && msg.contains("wide.json"), msg);
        Files.writeString(json, original.replace("\"depth\" : 3", "\"depth\" : 4"));
        msg = message(() -> ModelStore.load(json, m));
        assertTrue(msg.contains("truncated") || msg.contains("more layers"), msg);
        Files.writeString(json, original.replace("\"depth\" : 3", "\"depth\" : 2"));
        assertTrue(message(() -> ModelStore.load(json, m)).contains("do not belong together"));
        Files.writeString(json, original.replace("\"normSize\" : 16", "\"normSize\" : 8"));
        assertTrue(message(() -> ModelStore.load(json, m)).contains("does not run"));
        Files.writeString(json, original.replace(DnCnn.class.getName(), "com.example.Net"));
        assertTrue(message(() -> ModelStore.load(json, m)).contains("unknown architecture"));
        Files.writeString(json, original.replace("\"depth\" : 3", "\"depth\" : \"three\""));
        assertTrue(message(() -> ModelStore.load(json, m)).contains("bad architecture"));
    }

    @Test
    void missingOrBrokenFilesAreNamed() throws Exception {
        assertTrue(message(() -> ModelStore.resolve(dir.resolve("nothing.json").toString())).contains("no such model file"));
        System.setProperty("equilibria.models", dir.toString());
        String msg = message(() -> ModelStore.resolve("no-such-model"));
        assertTrue(msg.contains("no-such-model") && msg.contains(dir.toString()), msg);
        saveTiny("lonely", 4);
        Files.delete(dir.resolve("lonely.json"));
        assertTrue(message(() -> ModelStore.resolve(dir.resolve("lonely.params").toString())).contains("no model card"));
        Files.writeString(dir.resolve("broken.json"), "{ not json");
        assertTrue(message(() -> ModelStore.load(dir.resolve("broken.json"), m)).contains("not a valid model card"));
        saveTiny("gone", 4);
        Files.delete(dir.resolve("gone.params"));
        assertTrue(message(() -> ModelStore.load(dir.resolve("gone.json"), m)).contains("missing"));
        saveTiny("other", 4);
        Path json = dir.resolve("other.json");
        Files.writeString(json, Files.readString(json).replace("\"kind\" : \"denoiser\"", "\"kind\" : \"deq-deblur\""));
        assertTrue(message(() -> io.equilibria.priors.DenoiserHolder.load(json.toString(), m)).contains("not a denoiser"));
    }
}
