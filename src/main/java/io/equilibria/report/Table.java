package io.equilibria.report;

import io.equilibria.image.AtomicFiles;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A numeric table with named columns, written as CSV (Commons CSV) atomically; also the source of plot series. */
public final class Table {
    private final List<String> columns;
    private final List<double[]> rows = new ArrayList<>();

    public Table(String... columns) {
        this.columns = List.of(columns);
    }

    public Table add(double... row) {
        if (row.length != columns.size()) {
            throw new IllegalArgumentException("row has " + row.length + " values, table has " + columns.size() + " columns");
        }
        rows.add(row.clone());
        return this;
    }

    public int size() { return rows.size(); }

    public double[] column(String name) {
        int c = columns.indexOf(name);
        if (c < 0) throw new IllegalArgumentException("no column " + name + " in " + columns);
        return rows.stream().mapToDouble(r -> r[c]).toArray();
    }

    public double[] row(int i) { return rows.get(i).clone(); }

    public void writeCsv(Path out) {
        AtomicFiles.write(out, os -> {
            OutputStreamWriter w = new OutputStreamWriter(os, StandardCharsets.UTF_8);
            try (CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(columns.toArray(String[]::new)).build())) {
                for (double[] r : rows) p.printRecord(Arrays.stream(r).mapToObj(Table::format).toArray());
                p.flush();
            } catch (IOException e) {
                throw e;
            }
        });
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v); // shortest repr that round-trips
    }
}
