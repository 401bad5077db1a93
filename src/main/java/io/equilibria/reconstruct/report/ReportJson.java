package io.equilibria.reconstruct.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;

/**
 * Writes reports as JSON (Jackson), the one place their layout is decided. A CS reconstruction has one solve, whose
 * fields sit at the top level beside the noise level (as they always have), not in a one-entry {@code planes}.
 */
public final class ReportJson {
    /** Indented, for files people read; its field order is the records' declaration order. */
    public static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportJson() {}

    public static ObjectNode tree(ReconstructionReport report) {
        ObjectNode node = MAPPER.valueToTree(report);
        if (report.cs() == null) return node;
        ObjectNode flat = MAPPER.createObjectNode();
        JsonNode plane = node.get("planes").get(0);
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("planes")) {
                // the solve's own time is the report's: one "seconds", the whole run's, as before
                plane.fields().forEachRemaining(p -> { if (!p.getKey().equals("seconds")) flat.set(p.getKey(), p.getValue()); });
            } else if (!f.getKey().equals("cancelled")) {
                flat.set(f.getKey(), f.getValue());
            }
        }
        return flat;
    }

    public static String text(Object value) {
        try {
            return MAPPER.writeValueAsString(value instanceof ReconstructionReport r ? tree(r) : value) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a report as JSON", e);
        }
    }
}
