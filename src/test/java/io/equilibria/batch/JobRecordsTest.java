package io.equilibria.batch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A distributed batch's per-image records: an image is done only when its record says ok and its output exists. */
class JobRecordsTest {
    @Test
    void anImageIsDoneOnlyWithItsRecordAndItsOutput(@TempDir Path out) throws IOException {
        BatchPlan.Job job = new BatchPlan.Job(Path.of("/in/day1/a.png"), Path.of("day1/a.png"), out.resolve("day1/a.tif"));
        JobRecords records = new JobRecords(out);
        assertNull(records.finished(job), "nothing recorded yet");

        records.record(job, Map.of("relative", "day1/a.png", "status", "ok", "iterations", 12));
        assertEquals(out.resolve(".equilibria-jobs/day1/a.png.json"), records.file(job));
        assertNull(records.finished(job), "a record without its output is not done");

        Files.createDirectories(job.output().getParent());
        Files.writeString(job.output(), "image");
        assertEquals(12, records.finished(job).get("iterations"));

        Files.writeString(records.file(job), "{\"relative\": \"day1/a.png\", \"sta"); // torn by a crash
        assertNull(records.finished(job), "an unreadable record means redo");
        records.record(job, Map.of("relative", "day1/a.png", "status", "failed"));
        assertNull(records.finished(job), "a failed image is redone");
    }
}
