package io.equilibria.physics;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A self-describing compressed-sensing measurement: a 32-bit TIFF whose pixels are the measurements (one row per
 * image block, one column per measurement row) and whose ImageJ info holds a JSON spec (operator, block size,
 * ratio, rows, groups, seed, original size, noise, intensity scale and calibration), so {@code reconstruct}
 * rebuilds the exact operator. It opens in ImageJ like any image.
 */
public final class MeasurementFile {
    public static final String MAGIC = "equilibria-measurement";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public record Contents(Plane measurements, Map<String, Object> spec, Calibration calibration) {
        public int intValue(String key) { return ((Number) spec.get(key)).intValue(); }
        public double doubleValue(String key) { return ((Number) spec.get(key)).doubleValue(); }

        /** Rebuilds the operator the measurements were taken with. */
        @SuppressWarnings("unchecked")
        public BlockCompressedSensing operator(NDManager manager) {
            Map<String, Object> op = (Map<String, Object>) spec.get("operator");
            return BlockCompressedSensing.create(manager, SensingMatrix.Kind.parse((String) op.get("matrix")),
                    ((Number) op.get("height")).intValue(), ((Number) op.get("width")).intValue(),
                    ((Number) op.get("block")).intValue(), ((Number) op.get("ratio")).doubleValue(),
                    ((Number) op.get("groups")).intValue(), ((Number) op.get("seed")).longValue());
        }
    }

    private MeasurementFile() {}

    public static void write(Path out, Plane measurements, Map<String, Object> spec, Calibration calibration) {
        Map<String, Object> full = new LinkedHashMap<>();
        full.put("format", MAGIC);
        full.put("version", 1);
        full.putAll(spec);
        ImageData d = new ImageData(List.of(measurements), calibration, 32);
        try {
            d.info().put(MAGIC, JSON.writeValueAsString(full).replace('\n', ' '));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        ImageFiles.writeFloatTiff(d, out);
    }

    @SuppressWarnings("unchecked")
    public static Contents read(Path in) {
        ImageData d = ImageFiles.read(in);
        String info = d.info().get("source-info");
        String json = null;
        if (info != null) {
            for (String line : info.split("\n")) {
                if (line.startsWith(MAGIC + " = ")) json = line.substring(MAGIC.length() + 3);
            }
        }
        if (json == null) {
            throw new InputException(in, "not an Equilibria measurement file (no '" + MAGIC
                    + "' spec in its info); create one with 'simulate cs'");
        }
        Map<String, Object> spec;
        try {
            spec = JSON.readValue(json, Map.class);
        } catch (IOException e) {
            throw new InputException(in, "measurement spec is not valid JSON: " + e.getMessage());
        }
        if (!MAGIC.equals(spec.get("format"))) throw new InputException(in, "unknown measurement format");
        if (d.size() != 1) throw new InputException(in, "measurement file must have one plane");
        ImageFiles.requireFinite(d, in.toString());
        Contents c = new Contents(d.plane(0), spec, d.calibration());
        Map<String, Object> op = (Map<String, Object>) spec.get("operator");
        if (op == null) throw new InputException(in, "measurement spec has no operator");
        return c;
    }
}
