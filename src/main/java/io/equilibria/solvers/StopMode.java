package io.equilibria.solvers;

/** Which residual the tolerance applies to: ‖T(z) − z‖ / ‖T(z)‖ (relative) or ‖T(z) − z‖ (absolute). */
public enum StopMode {
    RELATIVE, ABSOLUTE;

    public static StopMode parse(String s) {
        switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "rel": case "relative": return RELATIVE;
            case "abs": case "absolute": return ABSOLUTE;
            default: throw new IllegalArgumentException("unknown stop mode '" + s + "' (use rel or abs)");
        }
    }
}
