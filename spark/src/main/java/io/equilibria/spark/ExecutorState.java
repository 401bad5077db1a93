package io.equilibria.spark;

import io.equilibria.batch.BatchPlan;
import io.equilibria.batch.JobRecords;
import io.equilibria.cli.ReconstructCommand;
import io.equilibria.run.ReconstructRunner;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.ParseException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One JVM's view of a job: the request rebuilt from the job's words by the CLI's own parser (once per JVM, so the PSFs
 * are read once; the model is loaded once per JVM by the core's model cache), its images by relative path, and the
 * finished-image records. Tasks of the same job on the same executor share it.
 */
final class ExecutorState {
    private static final Map<String, ExecutorState> JOBS = new ConcurrentHashMap<>();

    final ReconstructRunner.Prepared prepared;
    final JobRecords records;
    /** A fingerprint of the job's words: parts of one plan are never assembled under another. */
    private final String plan;
    private final Map<String, BatchPlan.Job> jobs = new LinkedHashMap<>();

    private ExecutorState(String[] words, JobSettings settings) {
        CommandLine l;
        try {
            // deblurring's budget: the tasks running at once share this process (CS has no tiling and no budget)
            if (words.length > 0 && words[0].equals("deblur") && !java.util.Arrays.asList(words).contains("--max-memory")) {
                words = java.util.stream.Stream.concat(java.util.Arrays.stream(words),
                        java.util.stream.Stream.of("--max-memory", settings.taskBudgetMiB() + "m")).toArray(String[]::new);
            }
            l = new DefaultParser().parse(new SparkReconstructCommand().options(), words);
        } catch (ParseException e) {
            throw new IllegalStateException("the driver's options do not parse on this executor: " + e.getMessage(), e);
        }
        prepared = ReconstructRunner.prepare(ReconstructCommand.request(l, ReconstructCommand.compressedSensing(l)),
                ReconstructCommand.files(l));
        var f = prepared.files();
        for (BatchPlan.Job j : BatchPlan.all(f.input(), f.output(), f.selection())) jobs.put(j.relative().toString(), j);
        records = new JobRecords(f.output());
        plan = fingerprint(words);
    }

    private static String fingerprint(String[] words) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(String.join("\u0000", words).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where this job keeps the parts of an image split into tile tasks. */
    java.nio.file.Path partsDir(BatchPlan.Job job) { return records.partsDir(job, plan); }

    /** An image as the CLI reads it (the chosen channel(s)), checked for non-finite values. */
    io.equilibria.image.ImageData read(BatchPlan.Job job) {
        var image = io.equilibria.image.ImageFiles.read(job.input(), prepared.files().channel());
        io.equilibria.image.ImageFiles.requireFinite(image, job.input().toString());
        return image;
    }

    /** The state of the job with these words in this JVM (built by the first task that needs it). */
    static ExecutorState of(String[] words, JobSettings settings) {
        settings.applyHere();
        return JOBS.computeIfAbsent(String.join("\u0000", words), k -> new ExecutorState(words, settings));
    }

    BatchPlan.Job job(String relative) {
        BatchPlan.Job j = jobs.get(relative);
        if (j == null) throw new IllegalStateException("image " + relative + " is not in the input folder as this executor sees it");
        return j;
    }
}
