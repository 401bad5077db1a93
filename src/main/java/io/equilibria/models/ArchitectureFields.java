package io.equilibria.models;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model card's architecture map: writing it from key, value pairs, and reading numbers from it with one error
 * message for every architecture.
 */
public final class ArchitectureFields {
    private ArchitectureFields() {}

    /** A new map of {@code key, value, key, value, …} in that order, for a card's architecture fields. */
    public static Map<String, Object> fields(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) throw new IllegalArgumentException("fields come in key, value pairs");
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    /** The number under {@code key}; an error names the field when it is missing or not a number. */
    public static double number(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof Number n) return n.doubleValue();
        throw new IllegalArgumentException("architecture field '" + key + "' must be a number, got " + v);
    }

    /** The number under {@code key}, or {@code dflt} when it is absent (null). */
    public static double number(Map<String, Object> m, String key, double dflt) {
        return m.get(key) == null ? dflt : number(m, key);
    }
}
