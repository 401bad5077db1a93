package io.equilibria.batch;

import io.equilibria.errors.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Listing, globs, sharding and the resume journal, on a real directory tree (the files need not be valid images). */
class BatchPlanTest {
    @TempDir
    Path dir;

    private Path tree() throws Exception {
        Path in = dir.resolve("in");
        for (String f : List.of("a.tif", "b.png", "c.tif", "notes.txt", "day1/d.tif", "day1/e.jpg", "day1/deep/f.tif", ".hidden.tif")) {
            Path p = in.resolve(f);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "x");
        }
        return in;
    }

    private static List<String> rel(List<BatchPlan.Job> jobs) {
        return jobs.stream().map(j -> j.relative().toString()).toList();
    }

    @Test
    void listsTopLevelOrRecursiveWithGlobsAndMirrorsOutputs() throws Exception {
        Path in = tree(), out = dir.resolve("out");
        assertEquals(List.of("a.tif", "b.png", "c.tif"), rel(BatchPlan.plan(in, out, new Selection(false, List.of(), List.of(), Shard.ALL))));
        List<BatchPlan.Job> all = BatchPlan.plan(in, out, new Selection(true, List.of(), List.of(), Shard.ALL));
        assertEquals(List.of("a.tif", "b.png", "c.tif", "day1/d.tif", "day1/deep/f.tif", "day1/e.jpg"), rel(all));
        assertEquals(out.resolve("b.tif"), all.get(1).output(), "outputs are TIFFs at the mirrored path");
        assertEquals(out.resolve("day1/deep/f.tif"), all.get(4).output());
        // a name glob matches at any depth, a path glob against the relative path
        assertEquals(List.of("a.tif", "c.tif", "day1/d.tif", "day1/deep/f.tif"),
                rel(BatchPlan.plan(in, out, new Selection(true, List.of("*.tif"), List.of(), Shard.ALL))));
        assertEquals(List.of("day1/d.tif", "day1/deep/f.tif", "day1/e.jpg"),
                rel(BatchPlan.plan(in, out, new Selection(true, List.of("day1/**"), List.of(), Shard.ALL))));
        assertEquals(List.of("a.tif", "c.tif", "day1/d.tif"),
                rel(BatchPlan.plan(in, out, new Selection(true, List.of("*.tif"), List.of("deep/**", "**/deep/**"), Shard.ALL))));
        InputException none = assertThrows(InputException.class,
                () -> BatchPlan.plan(in, out, new Selection(false, List.of("*.czi"), List.of(), Shard.ALL)));
        assertTrue(none.getMessage().contains("*.czi"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Selection(true, List.of("[a-"), List.of(), Shard.ALL));
    }

    @Test
    void shardsCoverTheBatchExactlyOnce() throws Exception {
        Path in = tree(), out = dir.resolve("out");
        Selection everything = new Selection(true, List.of(), List.of(), Shard.ALL);
        List<String> all = rel(BatchPlan.plan(in, out, everything));
        for (int n = 1; n <= 7; n++) {
            List<String> union = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                List<String> mine = rel(BatchPlan.plan(in, out, new Selection(true, List.of(), List.of(), new Shard(i, n))));
                assertTrue(mine.size() >= all.size() / n && mine.size() <= all.size() / n + 1, "balanced shards");
                union.addAll(mine);
            }
            assertEquals(all.size(), union.size(), "no image in two shards (n=" + n + ")");
            assertEquals(new HashSet<>(all), new HashSet<>(union), "every image in some shard (n=" + n + ")");
        }
        assertEquals(new Shard(3, 8), Shard.parse("3/8"));
        for (String bad : List.of("0/4", "5/4", "3", "a/b", "1/0")) {
            assertThrows(IllegalArgumentException.class, () -> Shard.parse(bad), bad);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Shard.parse("0/4")).getMessage().contains("SLURM"));
    }

    @Test
    void journalRemembersFinishedImagesOnlyWhileTheirOutputExists() throws Exception {
        Path in = tree(), out = dir.resolve("out");
        List<BatchPlan.Job> jobs = BatchPlan.plan(in, out, new Selection(false, List.of(), List.of(), Shard.ALL));
        try (Journal j = new Journal(out, Shard.ALL)) {
            j.append(Map.of("relative", "a.tif", "status", "ok"));
            j.append(Map.of("relative", "b.png", "status", "failed"));
            j.append(Map.of("relative", "c.tif", "status", "ok"));
        }
        Files.writeString(out.resolve("a.tif"), "result");
        Files.writeString(out.resolve("b.tif"), "stale");
        // c's output is missing (deleted by the user): it must be redone; a torn line from a killed run is ignored
        Files.writeString(new Journal(out, Shard.ALL).file(), "{\"relative\":\"c.t", java.nio.file.StandardOpenOption.APPEND);
        Journal loaded = new Journal(out, Shard.ALL).load();
        assertNotNull(loaded.finished(jobs.get(0)));
        assertNull(loaded.finished(jobs.get(1)), "a failed image is redone");
        assertNull(loaded.finished(jobs.get(2)), "an image whose output is gone is redone");
        // a later failure of a finished image cancels it
        try (Journal j = new Journal(out, Shard.ALL)) {
            j.append(Map.of("relative", "a.tif", "status", "failed"));
        }
        assertNull(new Journal(out, Shard.ALL).load().finished(jobs.get(0)), Files.readString(new Journal(out, Shard.ALL).file()));
        // shards keep separate journals
        assertTrue(!new Journal(out, new Shard(1, 2)).file().equals(new Journal(out, new Shard(2, 2)).file()));
        // stale temporary files of an interrupted write are removed
        Path part = out.resolve(".c.tif12345.part");
        Files.writeString(part, "half");
        Journal.removeStaleParts(out.resolve("c.tif"));
        assertTrue(!Files.exists(part));
    }

    /** A list names images anywhere: relative to its folder or absolute; outputs mirror the paths as written. */
    @Test
    void aListOfImagesIsABatchWithMirroredOutputs() throws Exception {
        Path in = tree(), out = dir.resolve("out");
        Path list = in.resolve("run.txt");
        Files.writeString(list, String.join("\n", "# today's stacks", "a.tif", "", "day1/deep/f.tif", in.resolve("c.tif").toString(),
                "a.tif", "missing.tif"));
        assertTrue(BatchPlan.isList(list));
        List<BatchPlan.Job> jobs = BatchPlan.plan(list, out, Selection.ALL);
        Path absC = in.resolve("c.tif");
        Path relC = absC.getRoot().relativize(absC);
        List<String> want = new ArrayList<>(List.of("a.tif", "day1/deep/f.tif", "missing.tif", relC.toString()));
        java.util.Collections.sort(want);
        assertEquals(want, rel(jobs), "sorted, the duplicate once, the missing file kept (it fails when read)");
        BatchPlan.Job c = jobs.stream().filter(j -> j.input().equals(absC)).findFirst().orElseThrow();
        assertEquals(out.resolve(relC), c.output());
        assertEquals(in.resolve("day1/deep/f.tif"), jobs.stream().filter(j -> j.relative().toString().equals("day1/deep/f.tif"))
                .findFirst().orElseThrow().input());
        assertEquals(List.of("day1/deep/f.tif"), rel(BatchPlan.plan(list, out, new Selection(false, List.of("f.tif"), List.of(), Shard.ALL))));

        Files.writeString(list, "../outside.tif\n");
        assertThrows(InputException.class, () -> BatchPlan.plan(list, out, Selection.ALL));
        Files.writeString(list, "# nothing\n");
        assertThrows(InputException.class, () -> BatchPlan.plan(list, out, Selection.ALL));
    }
}
