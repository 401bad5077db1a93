package io.equilibria.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.image.AtomicFiles;
import io.equilibria.reconstruct.report.ReportJson;
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
 * flat fields of its {@link BatchRow}; JSON (Jackson) otherwise, with the summary and every image's full report.
 * Written atomically.
 */
public final class BatchReport {
    private static final ObjectMapper JSON = ReportJson.MAPPER;

    private BatchReport() {}

    /** The run as a whole, with a row per image: what the JSON report of a batch holds. */
    public record Summary(String input, String output, String shard, List<BatchRow> images, int processed, int resumed, int failed,
                          String device, long peakRssMiB) {}

    /** The JSON report of a batch, or the CSV of its rows when the name ends in .csv. */
    public static void write(Path file, Summary summary) {
        write(file, summary, summary.images());
    }

    /** The rows alone: as CSV, or (single image) as JSON {@code payload}. */
    public static void write(Path file, Object payload, List<BatchRow> rows) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        AtomicFiles.writeString(file, name.endsWith(".csv") ? csv(rows) : ReportJson.text(payload));
    }

    /** Columns: every flat (non-map, non-list) field of any row, in order of first appearance. */
    static String csv(List<BatchRow> typed) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (BatchRow t : typed) rows.add(JSON.convertValue(t, new com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>>() {}));
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
