package io.equilibria.solvers;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The solver registry: a solver by name with optional settings, e.g. {@code anderson}, {@code anderson:m=6,lambda=1e-3},
 * {@code picard:beta=0.5}, {@code broyden:m=20}. Names follow TorchDEQ ({@code fixed_point_iter} is Picard).
 */
public final class Solvers {
    public static final String NAMES = "picard[:beta=B], anderson[:m=M,lambda=L,beta=B], broyden[:m=M], nesterov[:window=W,average=A,restart=0|1]";

    private Solvers() {}

    public static FixedPointSolver parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty solver name (use " + NAMES + ")");
        String[] parts = spec.trim().split(":", 2);
        String name = parts[0].toLowerCase(Locale.ROOT);
        Map<String, String> kv = settings(spec, parts.length > 1 ? parts[1] : "");
        FixedPointSolver s;
        switch (name) {
            case "picard": case "fixed_point_iter": case "fixed-point": case "km":
                s = new Picard(num(kv, "beta", 1.0));
                break;
            case "anderson":
                s = new Anderson((int) num(kv, "m", 5), num(kv, "lambda", 1e-4), num(kv, "beta", 1.0));
                break;
            case "broyden":
                s = new Broyden((int) num(kv, "m", 30));
                break;
            case "nesterov":
                s = new Nesterov((int) num(kv, "window", 1), (int) num(kv, "average", 1), num(kv, "restart", 1) != 0);
                break;
            default:
                throw new IllegalArgumentException("unknown solver '" + parts[0] + "' (use " + NAMES + ")");
        }
        if (!kv.isEmpty()) throw new IllegalArgumentException("unknown setting(s) " + kv.keySet() + " for solver " + name);
        return s;
    }

    private static Map<String, String> settings(String spec, String s) {
        Map<String, String> kv = new LinkedHashMap<>();
        if (s.isBlank()) return kv;
        for (String item : s.split(",")) {
            String[] p = item.split("=", 2);
            if (p.length != 2) throw new IllegalArgumentException("bad solver setting '" + item + "' in '" + spec + "' (use key=value)");
            kv.put(p[0].trim().toLowerCase(Locale.ROOT), p[1].trim());
        }
        return kv;
    }

    private static double num(Map<String, String> kv, String key, double dflt) {
        String v = kv.remove(key);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("solver setting " + key + "=" + v + " is not a number");
        }
    }
}
