package io.equilibria.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.equilibria.image.AtomicFiles;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The per-image report of a batch: CSV (Commons CSV) when the file name ends in .csv, one row per image with the
 * flat fields of {@link #row}; JSON (Jackson) otherwise, with the summary and every image's full report. Written
 * atomically.
 */
public final class BatchReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BatchReport() {}

    /**
     * The flat fields of one image's report: method, model, solver, device, planes, iterations (sum over planes),
     * residual (largest final relative change / fixed-point residual over planes), converged (every plane), seconds.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> row(Map<String, Object> report) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("method", report.get("method"));
        List<Map<String, Object>> planes = report.get("planes") instanceof List<?> l ? (List<Map<String, Object>>) l
                : List.of(report);
        Map<String, Object> p0 = planes.isEmpty() ? Map.of() : planes.get(0);
        Map<String, Object> params = p0.get("parameters") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        r.put("model", params.get("model"));
        r.put("solver", params.get("solver"));
        r.put("device", report.get("device"));
        r.put("planes", planes.size());
        long iterations = 0;
        double residual = 0;
        boolean converged = true;
        for (Map<String, Object> p : planes) {
            iterations += ((Number) p.getOrDefault("iterations", 0)).longValue();
            Map<String, Object> pp = p.get("parameters") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            Object res = pp.containsKey("solverResidual") ? pp.get("solverResidual") : p.get("relativeChange");
            if (res instanceof Number n && Double.isFinite(n.doubleValue())) residual = Math.max(residual, n.doubleValue());
            if (Boolean.FALSE.equals(pp.get("converged"))) converged = false;
        }
        r.put("iterations", iterations);
        r.put("residual", residual);
        r.put("converged", converged);
        r.put("seconds", report.get("seconds"));
        for (String k : List.of("tiles", "warmStart")) if (report.containsKey(k)) r.put(k, report.get(k));
        return r;
    }

    public static void write(Path file, Map<String, Object> summary, List<Map<String, Object>> rows) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        AtomicFiles.writeString(file, name.endsWith(".csv") ? csv(rows) : json(summary, rows));
    }

    static String json(Map<String, Object> summary, List<Map<String, Object>> rows) {
        Map<String, Object> all = new LinkedHashMap<>(summary);
        all.put("images", rows);
        try {
            return JSON.writeValueAsString(all) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Columns: every flat (non-map, non-list) field of any row, in order of first appearance. */
    static String csv(List<Map<String, Object>> rows) {
        Set<String> columns = new LinkedHashSet<>();
        for (Map<String, Object> r : rows) {
            r.forEach((k, v) -> {
                if (!(v instanceof Map) && !(v instanceof List)) columns.add(k);
            });
        }
        StringWriter out = new StringWriter();
        try (CSVPrinter csv = new CSVPrinter(out, CSVFormat.DEFAULT.builder().setHeader(columns.toArray(String[]::new)).build())) {
            for (Map<String, Object> r : rows) {
                List<Object> values = new ArrayList<>();
                for (String c : columns) {
                    Object v = r.get(c);
                    values.add(v instanceof Double d ? (Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : d.toString()) : v);
                }
                csv.printRecord(values);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }
}
