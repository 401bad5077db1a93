package io.equilibria.batch;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.errors.OutputException;
import io.equilibria.image.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A distributed batch's memory of finished images: one small JSON file per image, written atomically after its output,
 * under {@code OUTPUT/.equilibria-jobs/RELATIVE.json}. Unlike the {@link Journal} (one file appended by one process),
 * any number of workers on any number of machines can write these at once; a retried task or a rerun finds the image
 * done (its record and its output both present) and returns the recorded row instead of redoing it.
 */
public final class JobRecords {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DIR = ".equilibria-jobs";
    private final Path dir;

    public JobRecords(Path outputDir) {
        this.dir = outputDir.resolve(DIR);
    }

    /** Where the record of {@code job} lives. */
    public Path file(BatchPlan.Job job) {
        return dir.resolve(job.relative().toString() + ".json");
    }

    /** The recorded row of a job that finished and whose output is still there, or null (the job must run). */
    public Map<String, Object> finished(BatchPlan.Job job) {
        Path f = file(job);
        if (!Files.isRegularFile(f) || !Files.isRegularFile(job.output())) return null;
        try {
            Map<String, Object> row = JSON.readValue(f.toFile(), new TypeReference<LinkedHashMap<String, Object>>() {});
            return "ok".equals(row.get("status")) ? row : null;
        } catch (IOException e) {
            return null; // unreadable: the image is redone and the record rewritten
        }
    }

    /** Records a finished job (call after its output is in place); failed jobs are not recorded, so a rerun retries them. */
    public void record(BatchPlan.Job job, Map<String, Object> row) {
        Path f = file(job);
        try {
            Files.createDirectories(f.getParent());
            AtomicFiles.writeString(f, JSON.writeValueAsString(row));
        } catch (IOException e) {
            throw new OutputException(f, "cannot record the finished image: " + e.getMessage());
        }
    }

    /**
     * Where the parts of an image split across tasks wait for their assembly: one folder per image and plan (a
     * fingerprint of the request, so a rerun with other options never assembles another plan's parts).
     */
    public Path partsDir(BatchPlan.Job job, String plan) {
        return dir.resolve(job.relative().toString() + ".parts-" + plan);
    }

    /** Writes part {@code k} atomically (a retried task rewrites it whole or finds it there). */
    public void writePart(Path partsDir, int k, java.io.Serializable part) {
        AtomicFiles.write(partFile(partsDir, k), os -> {
            java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(os);
            out.writeObject(part);
            out.flush();
        });
    }

    /** Part {@code k} as written, or null when it is not there (or unreadable: it is then solved again). */
    public Object readPart(Path partsDir, int k) {
        Path f = partFile(partsDir, k);
        if (!Files.isRegularFile(f)) return null;
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(new java.io.BufferedInputStream(Files.newInputStream(f)))) {
            return in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            return null;
        }
    }

    /** Removes an image's parts once its output and record are in place. */
    public void removeParts(Path partsDir) {
        if (!Files.isDirectory(partsDir)) return;
        try (var files = Files.list(partsDir)) {
            for (Path f : (Iterable<Path>) files::iterator) Files.deleteIfExists(f);
            Files.deleteIfExists(partsDir);
        } catch (IOException e) {
            // harmless: the parts of a finished image are never read again
        }
    }

    private static Path partFile(Path partsDir, int k) {
        return partsDir.resolve(String.format(java.util.Locale.ROOT, "part-%05d.bin", k));
    }
}
