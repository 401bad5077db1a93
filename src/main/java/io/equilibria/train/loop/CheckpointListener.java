package io.equilibria.train.loop;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.equilibria.errors.InputException;
import io.equilibria.errors.OutputException;
import io.equilibria.image.AtomicFiles;
import io.equilibria.models.ModelStore;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * Saves the training state after every epoch and resumes from it: {@code checkpoint.params} (the block, with any
 * power-iteration vectors), {@code checkpoint.adam} (the optimiser's moments and step count, hence the schedule's and
 * the batch stream's position) and {@code checkpoint.json} (epoch, settings, history, seconds and both files'
 * SHA-256; written last, it is the commit point). A checkpoint resumes only with the same settings but the number of
 * epochs (its identity).
 */
public final class CheckpointListener implements TrainingListener<Object> {
    private static final String NAME = "checkpoint";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final Map<String, Object> identity;
    private final Block net;
    private final AdamOptimizer adam;
    private final HistoryListener history;

    /** @param dir where to save, or null for no checkpoints */
    public CheckpointListener(Path dir, Map<String, Object> identity, Block net, AdamOptimizer adam, HistoryListener history) {
        this.dir = dir;
        this.identity = identity;
        this.net = net;
        this.adam = adam;
        this.history = history;
    }

    @Override
    public void onEpochEnd(Epoch e) {
        if (dir == null) return;
        Path params = dir.resolve(NAME + ".params"), opt = dir.resolve(NAME + ".adam");
        AtomicFiles.write(params, os -> {
            DataOutputStream d = new DataOutputStream(os);
            net.saveParameters(d);
            d.flush();
        });
        AtomicFiles.write(opt, os -> adam.save(new DataOutputStream(os)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", e.number());
        m.put("step", adam.steps());
        m.put("identity", identity);
        m.put("seconds", history.seconds());
        m.put("paramsSha256", ModelStore.sha256(params));
        m.put("adamSha256", ModelStore.sha256(opt));
        m.put("history", history.history());
        try {
            AtomicFiles.writeString(dir.resolve(NAME + ".json"), JSON.writeValueAsString(m) + "\n");
        } catch (IOException ex) {
            throw new OutputException(dir, "cannot write checkpoint: " + ex.getMessage());
        }
    }

    /**
     * With {@code resume}, loads the checkpoint in this listener's folder into the block and the optimiser and its
     * history and seconds into {@code history}; returns the epoch it was saved after, or empty when there is none
     * (the caller then initialises the block).
     *
     * @param initialize gives the block its parameters' shapes (the values are then replaced)
     */
    public OptionalInt resume(boolean resume, Consumer<NDManager> initialize, NDManager manager, Consumer<String> messages) {
        if (!resume) return OptionalInt.empty();
        if (dir == null) throw new IllegalArgumentException("resuming needs " + io.equilibria.errors.Setting.CHECKPOINT);
        Path json = dir.resolve(NAME + ".json");
        if (!Files.isRegularFile(json)) {
            messages.accept("no checkpoint in " + dir + "; starting afresh");
            return OptionalInt.empty();
        }
        Saved cp;
        try {
            Map<String, Object> m = JSON.readValue(json.toFile(), new TypeReference<Map<String, Object>>() {});
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> earlier = (List<Map<String, Object>>) m.get("history");
            cp = new Saved(((Number) m.get("epoch")).intValue(), castMap(m.get("identity")), earlier,
                    ((Number) m.get("seconds")).doubleValue(), (String) m.get("paramsSha256"), (String) m.get("adamSha256"));
        } catch (IOException | RuntimeException e) {
            throw new InputException(json, "not a readable checkpoint (" + e.getMessage() + ")");
        }
        checkIdentity(cp.identity());
        load(initialize, manager, cp.paramsSha(), cp.adamSha());
        int epoch = cp.epoch();
        history.resume(cp.history(), cp.seconds());
        messages.accept("resumed from " + dir + " after epoch " + epoch + " (step " + adam.steps() + ")");
        return OptionalInt.of(epoch);
    }

    private record Saved(int epoch, Map<String, Object> identity, List<Map<String, Object>> history, double seconds,
                         String paramsSha, String adamSha) {}

    /** Compared as JSON text: numbers read back may change type. */
    private void checkIdentity(Map<String, Object> saved) {
        if (json(saved).equals(json(identity))) return;
        List<String> diff = new ArrayList<>();
        for (String k : identity.keySet()) {
            Object was = saved == null ? null : saved.get(k);
            if (!json(identity.get(k)).equals(json(was))) diff.add(k + " " + was + " -> " + identity.get(k));
        }
        throw new IllegalArgumentException("checkpoint in " + dir + " was made with other settings ("
                + String.join("; ", diff) + "); only " + io.equilibria.errors.Setting.EPOCHS + " may change when resuming");
    }

    private void load(Consumer<NDManager> initialize, NDManager manager, String paramsSha, String adamSha) {
        Path params = dir.resolve(NAME + ".params"), opt = dir.resolve(NAME + ".adam");
        for (Path p : List.of(params, opt)) {
            if (!Files.isRegularFile(p)) throw new InputException(p, "checkpoint file missing");
        }
        if (!ModelStore.sha256(params).equals(paramsSha) || !ModelStore.sha256(opt).equals(adamSha)) {
            throw new InputException(dir, "checkpoint files do not match checkpoint.json (interrupted while saving?)");
        }
        try (NDManager scratch = manager.newSubManager();
             InputStream in = new BufferedInputStream(Files.newInputStream(params));
             DataInputStream d = new DataInputStream(in);
             InputStream in2 = new BufferedInputStream(Files.newInputStream(opt));
             DataInputStream d2 = new DataInputStream(in2)) {
            initialize.accept(scratch); // shapes; the values are replaced on the real manager
            net.loadParameters(manager, d);
            adam.load(d2);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new InputException(dir, "cannot load checkpoint (" + e.getMessage() + ")");
        }
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }
}
