package io.equilibria.models;

import java.util.Map;

/** Reading numbers from a model card's architecture map, with one error message for every architecture. */
public final class ArchitectureFields {
    private ArchitectureFields() {}

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
