package io.equilibria.run;

import ai.djl.Device;
import io.equilibria.TestSupport;
import io.equilibria.batch.BatchRow;
import io.equilibria.batch.Selection;
import io.equilibria.batch.Shard;
import io.equilibria.errors.InputException;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.report.MethodParameters;
import io.equilibria.reconstruct.report.PlaneReport;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.reconstruct.report.ReconstructionReport;
import io.equilibria.reconstruct.report.SolveStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch around the solver, with the solver faked: outputs mirrored, a failing image reported and skipped, the
 * journal letting a second run redo only what did not finish, the reports holding a row per image.
 */
class ReconstructRunnerTest {
    @TempDir
    Path dir;

    private final List<String> solved = new ArrayList<>();
    private final List<String> messages = new ArrayList<>();

    /** Returns the image doubled; "bad" images fail as bad input. */
    private Reconstruction fake(ReconstructRequest request, RunFiles files, io.equilibria.batch.BatchPlan.Job job, Deconvolution.PlaneListener p) {
        solved.add(job.relative().toString());
        if (job.relative().toString().contains("bad")) throw new InputException(job.input(), "unreadable (test)");
        ImageData in = ImageFiles.read(job.input());
        float[] d = in.plane(0).data().clone();
        for (int i = 0; i < d.length; i++) d[i] *= 2;
        PlaneReport plane = new PlaneReport(new SolveStats(7, 1e-3, 0.1, false, new MethodParameters(Map.of("model", "fake", "solver", "none"))),
                null, 0.01, Map.of("operator", "fake"), null);
        ReconstructionReport report = new ReconstructionReport(ReconstructionReport.SCHEMA_VERSION, "rl", "cpu (test)", null,
                new ReconstructionReport.DeblurSetup("gaussian:1", "periodic", false, "none", 1, "untiled", 1, 1, null), null,
                List.of(plane), 0.2);
        return new Reconstruction(new ImageData(List.of(new Plane(in.width(), in.height(), d)), Calibration.none(), 32), report);
    }

    private ReconstructRunner.Summary run(Path in, Path out, boolean resume, Path report) {
        ReconstructRequest request = ReconstructRequest.deblur(MethodConfig.of("rl"), Psf.of(PsfGenerator.gaussian(1, 0), "gaussian:1"),
                Deconvolution.Options.defaults(), Device.cpu());
        Selection selection = Files.isDirectory(in) ? new Selection(true, List.of(), List.of(), Shard.ALL) : Selection.ALL;
        RunFiles files = new RunFiles(in, out, null, selection, resume, null, null, report);
        return ReconstructRunner.run(request, files, new RunListener() {
            @Override public void message(String line) { messages.add(line); }
        }, this::fake);
    }

    private Path inputs() {
        Path in = dir.resolve("in");
        for (String name : List.of("a.tif", "sub/b.tif", "sub/bad.tif")) {
            Path f = in.resolve(name);
            ImageFiles.writeFloatTiff(new ImageData(List.of(new Plane(8, 6, new float[48])), Calibration.none(), 32), f);
        }
        return in;
    }

    @Test
    void aFailingImageIsSkippedAndTheRestWritten() throws Exception {
        TestSupport.manager();
        Path in = inputs(), out = dir.resolve("out"), csv = dir.resolve("report.csv");
        ReconstructRunner.Summary s = run(in, out, false, csv);
        assertEquals(3, s.images());
        assertEquals(1, s.failed());
        assertTrue(Files.exists(out.resolve("a.tif")) && Files.exists(out.resolve("sub/b.tif")), "outputs mirror the input tree");
        assertFalse(Files.exists(out.resolve("sub/bad.tif")));
        BatchRow bad = s.rows().stream().filter(r -> r.relative().contains("bad")).findFirst().orElseThrow();
        assertEquals(BatchRow.FAILED, bad.status());
        assertTrue(bad.error().contains("unreadable (test)"));
        BatchRow ok = s.rows().get(0);
        assertEquals(7L, ok.iterations());
        assertEquals("fake", ok.model());
        List<String> lines = Files.readAllLines(csv);
        assertEquals(4, lines.size(), "a header and a row per image");
        assertEquals("relative,input,output,status,method,model,solver,device,planes,iterations,residual,converged,seconds,tiles,"
                + "peakRssMiB,error", lines.get(0), "the documented columns, in order (a failed row adds its error)");
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("skipped ") && m.contains("bad.tif")));
    }

    @Test
    void resumeRedoesOnlyWhatDidNotFinish() throws Exception {
        TestSupport.manager();
        Path in = inputs(), out = dir.resolve("out"), json = dir.resolve("report.json");
        run(in, out, false, null);
        solved.clear();
        ReconstructRunner.Summary again = run(in, out, true, json);
        assertEquals(List.of("sub/bad.tif"), solved, "the finished images come from the journal");
        assertEquals(2, again.resumed());
        assertTrue(again.rows().stream().filter(r -> !r.relative().contains("bad")).allMatch(r -> Boolean.TRUE.equals(r.resumed())));
        var tree = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        assertEquals(3, tree.get("images").size());
        assertEquals(7, tree.get("images").get(0).get("report").get("planes").get(0).get("iterations").asInt(),
                "a resumed row keeps its full report");
        // a deleted output is redone even though the journal says it finished
        Files.delete(out.resolve("a.tif"));
        solved.clear();
        run(in, out, true, null);
        assertEquals(List.of("a.tif", "sub/bad.tif"), solved);
    }

    @Test
    void oneImageFailingIsAnErrorNotASkippedRow() {
        TestSupport.manager();
        Path in = inputs();
        assertThrows(InputException.class, () -> run(in.resolve("sub/bad.tif"), dir.resolve("x.tif"), false, null));
    }
}
