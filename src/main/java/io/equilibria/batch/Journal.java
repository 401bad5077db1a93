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
 * The batch's memory across runs: one JSON line per finished image, appended and flushed as soon as its output has
 * been renamed into place, in {@code OUTPUT/.equilibria-batch[-shard-i-of-n].jsonl} (one file per shard, so
 * concurrent cluster jobs never append to the same file). {@code --resume} skips an image only if this journal says
 * it finished and its output still exists; anything else (failed, interrupted, output deleted) is redone. A torn last
 * line from a killed run is ignored.
 */
public final class Journal implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Map<String, Map<String, Object>> finished = new LinkedHashMap<>();
    private BufferedWriter writer;

    public Journal(Path outputDir, Shard shard) {
        this.file = outputDir.resolve(shard.isAll() ? ".equilibria-batch.jsonl"
                : ".equilibria-batch-shard-" + shard.index() + "-of-" + shard.count() + ".jsonl");
    }

    public Path file() { return file; }

    /** Reads what earlier runs finished. */
    public Journal load() {
        if (!Files.isRegularFile(file)) return this;
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                try {
                    Map<String, Object> row = JSON.readValue(line, new TypeReference<LinkedHashMap<String, Object>>() {});
                    Object key = row.get("relative");
                    if (key == null) continue;
                    if ("ok".equals(row.get("status"))) finished.put(key.toString(), row);
                    else finished.remove(key.toString());
                } catch (IOException torn) {
                    // a line cut short by a killed run: that image is simply redone
                }
            }
        } catch (IOException e) {
            throw new OutputException(file, "cannot read the batch journal: " + e.getMessage());
        }
        return this;
    }

    /** The earlier row of a job that finished and whose output is still there, or null (the job must run). */
    public Map<String, Object> finished(BatchPlan.Job job) {
        Map<String, Object> row = finished.get(job.relative().toString());
        return row != null && Files.isRegularFile(job.output()) ? row : null;
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
            throw new OutputException(file, "cannot append to the batch journal: " + e.getMessage());
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
