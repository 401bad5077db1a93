package io.equilibria.models;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Models loaded once per (card file, device) and kept for the life of the process: a batch of thousands of images,
 * or an ImageJ session, reads and checksums each model file once. Entries live on their own long-lived managers.
 */
public final class ModelCache {
    private record Key(Path card, String device) {}

    private static final Map<Key, StoredModel> CACHE = new HashMap<>();
    private static final Map<Key, NDManager> MANAGERS = new HashMap<>();

    private ModelCache() {}

    /** The model named (name or path) on {@code device}, loaded and verified on first use. */
    public static synchronized StoredModel get(String nameOrPath, Device device) {
        Path card = ModelStore.resolve(nameOrPath).toAbsolutePath().normalize();
        Key key = new Key(card, device.toString());
        StoredModel m = CACHE.get(key);
        if (m == null) {
            NDManager manager = Compute.manager(device);
            try {
                m = ModelStore.load(card, manager);
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
            CACHE.put(key, m);
            MANAGERS.put(key, manager);
        }
        return m;
    }

    /** Forgets every loaded model (frees their memory). */
    public static synchronized void clear() {
        MANAGERS.values().forEach(NDManager::close);
        MANAGERS.clear();
        CACHE.clear();
    }
}
