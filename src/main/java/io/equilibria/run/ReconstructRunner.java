package io.equilibria.run;

import io.equilibria.batch.BatchPlan;
import io.equilibria.batch.BatchReport;
import io.equilibria.batch.BatchRow;
import io.equilibria.batch.Journal;
import io.equilibria.batch.Throughput;
import io.equilibria.compute.Compute;
import io.equilibria.compute.ProcessMemory;
import io.equilibria.errors.InputException;
import io.equilibria.errors.MemoryException;
import io.equilibria.errors.NumericalException;
import io.equilibria.errors.OutputException;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.metrics.Scores;
import io.equilibria.physics.MeasurementFile;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.reconstruct.report.ReportJson;
import io.equilibria.reconstruct.report.ReportText;
import io.equilibria.report.SideBySide;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a {@link ReconstructRequest} over files: one image, or every selected image of a directory (outputs mirrored,
 * a journal so a batch that dies can be resumed, a failing image reported and skipped). Writes the outputs, the
 * side-by-side figure and the report, and tells the listener what it did.
 */
public final class ReconstructRunner {
    /** How the run went: images planned, done by this run, taken from an earlier run's journal, failed; the rows. */
    public record Summary(int images, int processed, int resumed, int failed, List<BatchRow> rows) {}

    private ReconstructRunner() {}

    public static Summary run(ReconstructRequest request, RunFiles files, RunListener listener) {
        return run(request, files, listener, ReconstructRunner::solve);
    }

    /**
     * How one job is solved: read, reconstruct (tests fake it to exercise the batch around it; a distributed run
     * assembles an image from parts solved elsewhere).
     */
    public interface Solve {
        Reconstruction apply(ReconstructRequest request, RunFiles files, BatchPlan.Job job, Deconvolution.PlaneListener progress);
    }

    /**
     * A request and its files as a run uses them: with several PSFs (one per channel) every channel is solved unless
     * one was chosen (then its PSF alone); for one deblurred image with a ground truth, {@code single} also records the
     * PSNR after every iteration.
     */
    public record Prepared(ReconstructRequest request, ReconstructRequest single, RunFiles files) {}

    /** What {@link #run} does before its first image; a distributed run does it once per process. */
    public static Prepared prepare(ReconstructRequest request, RunFiles files) {
        if (request.perChannelPsfs()) {
            int n = request.channelPsfs().size();
            int chosen = files.channel().index();
            if (files.channel() == io.equilibria.image.ChannelChoice.NONE) {
                files = files.withChannel(io.equilibria.image.ChannelChoice.ALL);
            } else if (!files.channel().isAll()) {
                if (chosen < 1 || chosen > n) {
                    throw new InputException(n + " PSFs were given (one per channel) but " + files.channel() + " was chosen");
                }
                request = request.forChannel(chosen - 1, n);
            }
        }
        ReconstructRequest single = request;
        if (!files.batch() && files.reference() != null && request.task() == ReconstructRequest.Task.DEBLUR) {
            ImageData reference = ImageFiles.read(files.reference(), files.channel());
            ImageFiles.requireFinite(reference, files.reference().toString());
            single = request.withDeblur(request.deblur().withReference(reference)); // the PSNR after every iteration
        }
        return new Prepared(request, single, files);
    }

    static Summary run(ReconstructRequest request, RunFiles files, RunListener listener, Solve solver) {
        Prepared p = prepare(request, files);
        request = p.request();
        files = p.files();
        boolean batch = files.batch();
        List<BatchPlan.Job> jobs = BatchPlan.plan(files.input(), files.output(), files.selection());
        var shard = files.selection().shard();
        listener.message(request.task().word() + " with method " + request.method().method() + " on " + Compute.describe(request.device())
                + (batch ? ", " + jobs.size() + " image(s)" + (shard.isAll() ? "" : " in shard " + shard) : ""));
        List<BatchRow> rows = new ArrayList<>();
        int failed = 0, resumed = 0, done = 0;
        Throughput throughput = new Throughput(jobs.size());
        try (Journal journal = batch ? new Journal(files.output(), shard) : null) {
            if (journal != null && files.resume()) journal.load();
            for (BatchPlan.Job job : jobs) {
                Map<String, Object> earlier = journal != null && files.resume() ? journal.finished(job) : null;
                BatchRow row;
                if (earlier != null) {
                    row = ReportJson.MAPPER.convertValue(earlier, BatchRow.class).asResumed();
                    resumed++;
                } else {
                    int finished = done - resumed;
                    row = runJob(p, job, listener, listener.solving(done, jobs.size()), solver,
                            batch ? () -> " [" + throughput.describe(finished + 1) + "]" : () -> "");
                    if (!row.isOk()) failed++;
                    if (journal != null) journal.append(ReportJson.MAPPER.convertValue(row, Map.class));
                }
                rows.add(row);
                listener.done(++done, jobs.size());
            }
        }
        Summary summary = new Summary(jobs.size(), jobs.size() - resumed, resumed, failed, rows);
        if (files.report() != null) writeReport(request, files, summary);
        if (batch) {
            listener.message((jobs.size() - resumed - failed) + " processed, " + resumed + " already done (resume), " + failed
                    + " failed, of " + jobs.size() + (shard.isAll() ? "" : " in shard " + shard) + "; journal " + new Journal(files.output(), shard).file());
        }
        if (failed > 0) listener.message(failed + " of " + jobs.size() + " image(s) failed");
        return summary;
    }

    /**
     * One image of a prepared run: read, reconstruct, write the output atomically, score it, and (one image) the
     * side-by-side figure. In a batch an image that cannot be done (bad input, numerical failure, output, memory)
     * becomes a failed row; other errors propagate.
     */
    public static BatchRow runJob(Prepared p, BatchPlan.Job job, RunListener listener, Deconvolution.PlaneListener progress) {
        return runJob(p, job, listener, progress, ReconstructRunner::solve, () -> "");
    }

    /** As above with the reconstruction made by {@code solver}. */
    public static BatchRow runJob(Prepared p, BatchPlan.Job job, RunListener listener, Deconvolution.PlaneListener progress, Solve solver) {
        return runJob(p, job, listener, progress, solver, () -> "");
    }

    private static BatchRow runJob(Prepared p, BatchPlan.Job job, RunListener listener, Deconvolution.PlaneListener progress,
                                   Solve solver, java.util.function.Supplier<String> note) {
        RunFiles files = p.files();
        ReconstructRequest single = p.single();
        boolean batch = files.batch();
        if (batch) Journal.removeStaleParts(job.output());
        try {
            Reconstruction o = solver.apply(single, files, job, progress);
            ImageFiles.writeFloatTiff(o.image(), job.output());
            Scores scores = scores(single, files, job, o);
            if (files.sideBySide() != null) sideBySide(single, files, job, o, listener);
            BatchRow row = BatchRow.ok(job, o.report(), scores, Math.round(ProcessMemory.peakRssMiB()));
            listener.message("wrote " + job.output() + " (" + ReportText.summary(o.report())
                    + (scores == null ? "" : String.format(Locale.ROOT, ", PSNR %.2f dB, SSIM %.4f", scores.psnr(), scores.ssim()))
                    + ")" + note.get());
            return row;
        } catch (InputException | NumericalException | OutputException | MemoryException e) {
            if (!batch) throw e;
            listener.message("skipped " + job.input() + ": " + e.getMessage());
            return BatchRow.failed(job, e.getMessage());
        }
    }

    /** The usual {@link Solve}: read the image (or measurements) and reconstruct it whole. */
    public static Reconstruction solve(ReconstructRequest request, RunFiles files, BatchPlan.Job job, Deconvolution.PlaneListener progress) {
        if (request.task() == ReconstructRequest.Task.CS) {
            return request.solve(MeasurementFile.read(job.input()), progress.forPlane(0, 1));
        }
        ImageData image = ImageFiles.read(job.input(), files.channel());
        ImageFiles.requireFinite(image, job.input().toString());
        return request.solveChannels(image, progress);
    }

    /** PSNR and SSIM against the ground truth: the given file for one image, the same relative path for a batch. */
    private static Scores scores(ReconstructRequest request, RunFiles files, BatchPlan.Job job, Reconstruction o) {
        if (files.reference() == null || request.task() != ReconstructRequest.Task.DEBLUR) return null;
        ImageData reference = files.batch() ? ImageFiles.read(BatchPlan.reference(files.reference(), job.relative()), files.channel())
                : request.deblur().reference();
        return request.deblur().volume() ? Scores.ofVolume(reference, o.image()) : Scores.of(reference, o.image());
    }

    /** Input | Richardson-Lucy (default iterations, same options) | this result, as one PNG. */
    private static void sideBySide(ReconstructRequest request, RunFiles files, BatchPlan.Job job, Reconstruction o, RunListener listener) {
        ImageData all = ImageFiles.read(job.input(), files.channel());
        ImageData input = all.channel(0); // a multi-channel image: its first channel
        Reconstruction rl = Deconvolution.run(input, request.forChannel(0, all.channels()).psf(), MethodConfig.of("rl"), request.deblur(),
                request.device(), Deconvolution.PlaneListener.NONE);
        SideBySide.write(files.sideBySide(), List.of(
                new SideBySide.Panel("input", input.planes().get(0)),
                new SideBySide.Panel("Richardson-Lucy, " + rl.report().first().iterations() + " it.", rl.image().planes().get(0)),
                new SideBySide.Panel(ReportText.label(o.report()), o.image().channel(0).planes().get(0))), 2);
        listener.message("wrote " + files.sideBySide() + " (input | RL | " + request.method().method() + ")");
    }

    /** A batch: its summary and rows (JSON) or rows (CSV). One image: its report with its scores and memory (JSON), or its row (CSV). */
    public static void writeReport(ReconstructRequest request, RunFiles files, Summary s) {
        if (files.batch()) {
            BatchReport.write(files.report(), new BatchReport.Summary(files.input().toString(), files.output().toString(),
                    files.selection().shard().toString(), s.rows(), s.processed(), s.resumed(), s.failed(), Compute.describe(request.device()),
                    Math.round(ProcessMemory.peakRssMiB())));
            return;
        }
        BatchRow row = s.rows().get(0);
        ObjectNode single = row.report().deepCopy();
        if (row.psnr() != null) single.put("psnr", row.psnr());
        if (row.ssim() != null) single.put("ssim", row.ssim());
        single.put("peakRssMiB", row.peakRssMiB());
        BatchReport.write(files.report(), single, s.rows());
    }
}
