package io.equilibria.spark;

import io.equilibria.batch.BatchPlan;
import io.equilibria.batch.BatchRow;
import io.equilibria.batch.Journal;
import io.equilibria.batch.JobRecords;
import io.equilibria.cli.Command;
import io.equilibria.cli.ExitCodes;
import io.equilibria.cli.ReconstructCommand;
import io.equilibria.cli.UsageException;
import io.equilibria.compute.Compute;
import io.equilibria.errors.Setting;
import io.equilibria.reconstruct.report.ReportJson;
import io.equilibria.run.ReconstructRequest;
import io.equilibria.run.ReconstructRunner;
import io.equilibria.run.RunFiles;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The driver of {@code equilibria-spark reconstruct}: the options of the CLI's {@code reconstruct} (parsed and checked
 * by the CLI's own code, so a Spark run and a CLI run of the same words make the same request) plus where Spark runs.
 * The images still to do become an RDD with one image per partition; each task runs one image ({@link ImageTask});
 * the driver collects the rows and writes the batch's report and journal as the CLI does, so either can resume the
 * other's batch. The exit code is the batch's: 0, or 7 when some images failed.
 */
final class SparkReconstructCommand implements Command {
    private final ReconstructCommand cli = new ReconstructCommand();

    @Override public String name() { return "reconstruct"; }
    @Override public String summary() { return "deblur or reconstruct a folder of images as a Spark job"; }
    @Override public String arguments() { return "deblur|cs"; }
    @Override public Setting.Names settingNames() { return cli.settingNames(); }

    @Override
    public Options options() {
        Options o = cli.options();
        o.addOption(Option.builder().longOpt("master").hasArg().argName("URL")
                .desc("Spark master: local[N] (N worker threads in this JVM), spark://HOST:7077, yarn, ... (default: the one "
                        + "spark-submit sets; required otherwise)").build());
        o.addOption(Option.builder().longOpt("natives").hasArg().argName("DIR")
                .desc("where every JVM of the job keeps the tensor engine's natives (extracted once per machine; default "
                        + "~/.cache/equilibria or $EQUILIBRIA_CACHE); on a cluster a local disk of each node").build());
        o.addOption(Option.builder().longOpt("models").hasArg().argName("DIR")
                .desc("where every JVM of the job finds models by name (default: -Dequilibria.models, $EQUILIBRIA_MODELS, else "
                        + "the repository's models/ when run from its build); on a cluster a shared directory").build());
        o.addOption(Option.builder().longOpt("threads-per-task").hasArg().argName("N")
                .desc("PyTorch threads per task (default: spark.task.cpus, 1); a task is one image").build());
        o.addOption(Option.builder().longOpt("partitions").hasArg().argName("N")
                .desc("partitions of the image list (default: one per image, so Spark balances and retries images one by one)").build());
        return o;
    }

    @Override
    public int run(CommandLine l) throws Exception {
        boolean cs = ReconstructCommand.compressedSensing(l);
        for (String o : List.of("side-by-side", "shard")) {
            if (l.hasOption(o)) throw new UsageException("--" + o + " does not apply to a Spark job (" + (o.equals("shard")
                    ? "Spark spreads the images itself" : "it needs a single image") + ")");
        }
        String master = l.getOptionValue("master", System.getProperty("spark.master"));
        if (master == null) throw new UsageException("--master is required (e.g. local[2] or spark://HOST:7077) unless spark-submit sets it");
        SparkConf conf = new SparkConf().setMaster(master);
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        String models = l.hasOption("models") ? Path.of(l.getOptionValue("models")).toAbsolutePath().normalize().toString()
                : System.getProperty("equilibria.models", System.getenv("EQUILIBRIA_MODELS") != null ? null : JobSettings.shippedModels());
        int threads = positive(l, "threads-per-task", taskCpus);
        JobSettings settings = new JobSettings(l.hasOption("natives") ? Path.of(l.getOptionValue("natives")).toAbsolutePath().toString() : null,
                models, threads, JobSettings.tasksAtOnce(master, conf, threads));
        settings.applyHere(); // before the request starts the engine on the driver (in local mode the executors' JVM too)
        boolean quiet = quietSpark();

        String[] words = words(l);
        ReconstructRequest request = ReconstructCommand.request(l, cs);
        RunFiles files = ReconstructCommand.files(l);
        if (!files.batch()) throw new UsageException("--input must be a directory or a list of images for a Spark job (one image runs with equilibria reconstruct)");
        ReconstructRunner.Prepared prepared = ReconstructRunner.prepare(request, files);
        files = prepared.files();
        List<BatchPlan.Job> jobs = BatchPlan.plan(files.input(), files.output(), files.selection());
        String device = Compute.describe(request.device());

        // what earlier runs finished: the CLI's journal, and the records this job's tasks write
        Map<String, BatchRow> earlier = new LinkedHashMap<>();
        List<Map<String, Object>> unjournaled = new ArrayList<>(); // finished by tasks of a run whose driver died
        if (files.resume()) {
            Journal journal = new Journal(files.output(), files.selection().shard()).load();
            JobRecords records = new JobRecords(files.output());
            for (BatchPlan.Job j : jobs) {
                Map<String, Object> row = journal.finished(j);
                if (row == null && (row = records.finished(j)) != null) unjournaled.add(row);
                if (row != null) earlier.put(j.relative().toString(), ReportJson.MAPPER.convertValue(row, BatchRow.class).asResumed());
            }
        }
        List<String> todo = new ArrayList<>();
        for (BatchPlan.Job j : jobs) if (!earlier.containsKey(j.relative().toString())) todo.add(j.relative().toString());
        message(request.task().word() + " with method " + request.method().method() + " on Spark " + master + ", " + device + ", "
                + settings.threadsPerTask() + " PyTorch thread(s) per task"
                + (l.hasOption("max-memory") ? "" : settings.tasksAtOnce() > 0 ? ", memory budget per task " + settings.taskBudgetMiB()
                        + " MiB (this machine's default shared by " + settings.tasksAtOnce() + " tasks at once; --max-memory sets it)"
                        : ", memory budget per task: each executor's default shared by its tasks at once")
                + ": " + jobs.size() + " image(s), " + earlier.size()
                + " already done (resume), " + todo.size() + " to do");

        Map<String, BatchRow> fresh = new LinkedHashMap<>();
        if (!todo.isEmpty()) {
            conf.setAppName("equilibria reconstruct " + (cs ? "cs" : "deblur") + " " + files.input().getFileName());
            settings.configure(conf);
            try (JavaSparkContext sc = new JavaSparkContext(conf)) {
                if (quiet) sc.setLogLevel("WARN");
                sc.setJobDescription("equilibria: " + request.method().method() + " on " + todo.size() + " image(s) of " + files.input());
                int partitions = positive(l, "partitions", todo.size());
                try {
                    List<ImageOutcome> outcomes = stage(sc, todo.size(), "image tasks", () ->
                            sc.parallelize(todo, Math.min(partitions, todo.size())).map(new ImageTask(words, settings)).collect());
                    List<ImageOutcome> split = new ArrayList<>();
                    for (ImageOutcome o : outcomes) {
                        if (o.isSplit()) split.add(o);
                        else fresh.put(o.relative(), ReportJson.MAPPER.readValue(o.rowJson(), BatchRow.class));
                    }
                    if (!split.isEmpty()) tiles(sc, split, words, settings, jobs, fresh);
                } catch (Exception e) { // Scala declares no checked exceptions, so SparkException is caught this way
                    if (!(e instanceof org.apache.spark.SparkException)) throw e;
                    // an image that cannot be done is a failed row, not a failed task: this is the job itself (e.g. no
                    // model or PSF where an executor looks); what finished is recorded, so --resume continues
                    String m = String.valueOf(e.getMessage());
                    message("the Spark job failed after retries: " + m.lines().findFirst().orElse(m)
                            + "; images and tiles finished before are kept (rerun with --resume)");
                    return ExitCodes.FAILURE;
                }
            }
        }

        List<BatchRow> rows = new ArrayList<>();
        int failed = 0, resumed = 0;
        try (Journal journal = new Journal(files.output(), files.selection().shard())) {
            for (Map<String, Object> row : unjournaled) journal.append(row); // so the CLI's --resume knows them too
            for (BatchPlan.Job j : jobs) {
                String rel = j.relative().toString();
                BatchRow row = earlier.containsKey(rel) ? earlier.get(rel) : fresh.get(rel);
                if (row == null) throw new IllegalStateException("no result for " + rel);
                if (Boolean.TRUE.equals(row.resumed())) resumed++;
                else journal.append(ReportJson.MAPPER.convertValue(row, Map.class));
                if (!row.isOk()) {
                    failed++;
                    message("failed " + rel + ": " + row.error());
                }
                rows.add(row);
            }
        }
        ReconstructRunner.Summary summary = new ReconstructRunner.Summary(jobs.size(), jobs.size() - resumed, resumed, failed, rows);
        if (files.report() != null) ReconstructRunner.writeReport(request, files, summary);
        message((jobs.size() - resumed - failed) + " processed, " + resumed + " already done (resume), " + failed + " failed, of "
                + jobs.size() + "; outputs in " + files.output());
        return failed > 0 ? ExitCodes.PARTIAL : ExitCodes.OK;
    }

    /**
     * Images too large for one task: each image's tiles become tasks (every tile across all its planes; parts written
     * beside the records), then one task per image blends its parts into the output. An image with a failed tile is a
     * failed row; the others are assembled.
     */
    private static void tiles(JavaSparkContext sc, List<ImageOutcome> split, String[] words, JobSettings settings, List<BatchPlan.Job> jobs,
                              Map<String, BatchRow> fresh) throws Exception {
        List<String> keys = new ArrayList<>();
        for (ImageOutcome o : split) {
            message(o.relative() + " does not fit one task's memory budget: " + o.grid() + ", solved as " + o.parts() + " tile tasks");
            for (int k = 0; k < o.parts(); k++) keys.add(TileTask.key(o.relative(), k));
        }
        List<String> errors = stage(sc, keys.size(), "tiles", () -> sc.parallelize(keys, keys.size()).map(new TileTask(words, settings)).collect());
        Map<String, String> failedImages = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            if (errors.get(i).isEmpty()) continue;
            String rel = keys.get(i).substring(0, keys.get(i).lastIndexOf('#'));
            failedImages.putIfAbsent(rel, errors.get(i));
        }
        List<String> assemble = new ArrayList<>();
        for (ImageOutcome o : split) if (!failedImages.containsKey(o.relative())) assemble.add(o.relative());
        for (BatchPlan.Job j : jobs) {
            String error = failedImages.get(j.relative().toString());
            if (error != null) fresh.put(j.relative().toString(), BatchRow.failed(j, error));
        }
        if (assemble.isEmpty()) return;
        List<String> rows = stage(sc, assemble.size(), "assembled images",
                () -> sc.parallelize(assemble, assemble.size()).map(new AssembleTask(words, settings)).collect());
        for (String json : rows) {
            BatchRow row = ReportJson.MAPPER.readValue(json, BatchRow.class);
            fresh.put(row.relative(), row);
        }
    }

    /** One Spark job of the run, with its own progress line. */
    private static <T> List<T> stage(JavaSparkContext sc, int tasks, String units, java.util.concurrent.Callable<List<T>> job) throws Exception {
        ProgressListener progress = new ProgressListener(tasks, units);
        sc.sc().addSparkListener(progress);
        try {
            return job.call();
        } finally {
            sc.sc().removeSparkListener(progress);
        }
    }

    /**
     * The command line as words for the executors, the input, output, reference and report folders made absolute (an
     * executor's working directory need not be the driver's). The PSF and model stay as given, because the output's
     * metadata and the report name them as the user did (so the bytes match the CLI's); on a cluster give them, like
     * everything else, as absolute paths on a shared file system.
     */
    static String[] words(CommandLine l) {
        List<String> w = new ArrayList<>(l.getArgList());
        for (Option o : l.getOptions()) {
            w.add("--" + o.getLongOpt());
            String[] values = o.getValues();
            if (values == null) continue;
            for (String v : values) w.add(FILE_OPTIONS.contains(o.getLongOpt()) ? Path.of(v).toAbsolutePath().normalize().toString() : v);
        }
        return w.toArray(String[]::new);
    }

    private static final List<String> FILE_OPTIONS = List.of("input", "output", "reference", "report", "natives", "models");
    /**
     * Spark's own INFO lines would bury the job's (each image's "wrote ..." and the progress line): unless the user
     * gave a log4j configuration, Spark logs warnings only and the logger {@code equilibria} stays at INFO.
     */
    private static boolean quietSpark() {
        if (System.getProperty("log4j2.configurationFile") != null || System.getProperty("log4j.configurationFile") != null) return false;
        org.apache.logging.log4j.core.config.Configurator.setRootLevel(org.apache.logging.log4j.Level.WARN);
        org.apache.logging.log4j.core.config.Configurator.setLevel("equilibria", org.apache.logging.log4j.Level.INFO);
        return true;
    }

    private static int positive(CommandLine l, String option, int fallback) {
        if (!l.hasOption(option)) return fallback;
        try {
            int n = Integer.parseInt(l.getOptionValue(option).trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new UsageException("--" + option + " must be a whole number >= 1, got '" + l.getOptionValue(option) + "'");
    }

    private static void message(String line) {
        System.err.println("equilibria: " + line);
    }
}
