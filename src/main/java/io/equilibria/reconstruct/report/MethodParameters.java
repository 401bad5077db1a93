package io.equilibria.reconstruct.report;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The parameters a method actually used, defaults resolved, as the method reports them. Their keys differ by
 * method (a learned method's model, solver and strength search; RL's iteration count), so they stay an ordered map
 * for the report; what the front ends read from them is typed here, in one place.
 */
public record MethodParameters(@JsonValue Map<String, Object> values) {
    public static final MethodParameters NONE = new MethodParameters(Map.of());

    public MethodParameters {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The learned model's name, or null for a classical method. */
    public String model() { return text("model"); }

    /** The fixed-point solver, or null for a classical method. */
    public String solver() { return text("solver"); }

    /** The fixed-point residual at the end, or NaN for a method without one. */
    public double solverResidual() { return number("solverResidual"); }

    /** False only when the method reports that its solve stopped before its tolerance. */
    public boolean converged() { return !Boolean.FALSE.equals(values.get("converged")); }

    /** Which result a learned deblur returned: deq (null too), wiener or blend. */
    public String result() { return text("result"); }

    /** The DEQ's weight in a blend with the Wiener result (NaN when there is none). */
    public double blendWeight() { return number("blendWeight"); }

    public double wienerLambda() { return number("wienerLambda"); }

    /** The prior strength used (NaN for a classical method). */
    public double strength() { return number("strength"); }

    /** Solver iterations spent choosing the strength, or -1 when it was not searched. */
    public int searchIterations() { return values.get("searchIterations") instanceof Number n ? n.intValue() : -1; }

    public String strengthChosenBy() { return values.get("strengthChosenBy") instanceof String s ? s : "SURE"; }

    /** Whether a warm-started solve kept its warm start (false: it fell back to the cold one). */
    public boolean warmStartUsed() { return !Boolean.FALSE.equals(values.get("warmStartUsed")); }

    public Object get(String key) { return values.get(key); }

    private String text(String key) { Object o = values.get(key); return o == null ? null : o.toString(); }

    private double number(String key) { return values.get(key) instanceof Number n ? n.doubleValue() : Double.NaN; }
}
