package io.equilibria.batch;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.errors.OutputException;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A resumable run's memory across runs: one JSON line per finished item, appended and flushed as soon as the item is
 * done, so a killed run loses at most the line it was writing. Each row names its item in a key field; a row whose
 * {@code status} is absent or {@code ok} marks the item finished, any other status (a later failure) un-marks it. A
 * first line without the key is the run's header (e.g. the settings it was made with, see {@link #header}). A torn
 * last line from a killed run is ignored, and the next append ends it so it stays one bad line.
 *
 * <p>Two users: the batch reconstruction ({@link #Journal(Path, Shard)}: key {@code relative}, in
 * {@code OUTPUT/.equilibria-batch[-shard-i-of-n].jsonl}, one file per shard so concurrent cluster jobs never append
 * to the same file; {@code --resume} skips an image only if this journal says it finished and its output still
 * exists) and certification ({@code OUTPUT/.equilibria-certify.jsonl}, key {@code image}, the settings as header).
 */
public final class Journal implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final String key;
    private final Map<String, Map<String, Object>> finished = new LinkedHashMap<>();
    private Map<String, Object> header;
    private BufferedWriter writer;

    /** The batch journal of one shard in an output folder (rows keyed by {@code relative}). */
    public Journal(Path outputDir, Shard shard) {
        this(outputDir.resolve(shard.isAll() ? ".equilibria-batch.jsonl"
                : ".equilibria-batch-shard-" + shard.index() + "-of-" + shard.count() + ".jsonl"), "relative");
    }

    /** A journal in {@code file} whose rows name their item in the field {@code key}. */
    public Journal(Path file, String key) {
        this.file = file;
        this.key = key;
    }

    public Path file() { return file; }

    /** The first line when it names no item (read by {@link #load}), or null. */
    public Map<String, Object> header() { return header; }

    /** Forgets earlier runs: deletes the file (a fresh run). */
    public Journal reset() {
        finished.clear();
        header = null;
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new OutputException(file, "cannot delete the old journal: " + e.getMessage());
        }
        return this;
    }

    /** Whether the file exists (a run has started here). */
    public boolean exists() { return Files.exists(file); }

    /** Reads what earlier runs finished. */
    public Journal load() {
        if (!Files.isRegularFile(file)) return this;
        try {
            boolean first = true;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                try {
                    Map<String, Object> row = JSON.readValue(line, new TypeReference<LinkedHashMap<String, Object>>() {});
                    Object item = row.get(key);
                    if (item == null) {
                        if (first) header = row;
                        continue;
                    }
                    Object status = row.get("status");
                    if (status == null || "ok".equals(status)) finished.put(item.toString(), row);
                    else finished.remove(item.toString());
                } catch (IOException torn) {
                    // a line cut short by a killed run: that item is simply redone
                } finally {
                    first = false;
                }
            }
        } catch (IOException e) {
            throw new OutputException(file, "cannot read the journal: " + e.getMessage());
        }
        return this;
    }

    /** The earlier row of a job that finished and whose output is still there, or null (the job must run). */
    public Map<String, Object> finished(BatchPlan.Job job) {
        Map<String, Object> row = finished(job.relative().toString());
        return row != null && Files.isRegularFile(job.output()) ? row : null;
    }

    /** The earlier row of an item that finished, or null. */
    public Map<String, Object> finished(String item) {
        return finished.get(item);
    }

    public synchronized void append(Map<String, Object> row) {
        try {
            if (writer == null) {
                Files.createDirectories(file.getParent());
                boolean torn = Files.exists(file) && Files.size(file) > 0 && lastByte() != '\n';
                writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                if (torn) writer.write('\n'); // end a line a killed run left unfinished, so it stays one bad line
            }
            writer.write(JSON.writeValueAsString(row));
            writer.write('\n');
            writer.flush();
        } catch (IOException e) {
            throw new OutputException(file, "cannot append to the journal: " + e.getMessage());
        }
    }

    private int lastByte() throws IOException {
        try (var ch = Files.newByteChannel(file)) {
            ch.position(ch.size() - 1);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b);
            return b.get(0);
        }
    }

    /** Deletes leftovers of an interrupted atomic write of this output ({@code .NAME*.part} beside it). */
    public static void removeStaleParts(Path output) {
        Path dir = output.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) return;
        String prefix = "." + output.getFileName();
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.startsWith(prefix) && n.endsWith(".part")) Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort; a stale part file is hidden and harmless
        }
    }

    @Override
    public synchronized void close() {
        if (writer == null) return;
        try {
            writer.close();
        } catch (IOException ignored) {
            // every line was flushed when written
        }
    }
}
