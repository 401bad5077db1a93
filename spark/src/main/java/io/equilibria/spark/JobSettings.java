package io.equilibria.spark;

import org.apache.spark.SparkConf;

import java.io.Serializable;

/**
 * What every JVM of the job (driver and executors) sets before the tensor engine starts: DJL offline, the native
 * cache directory the job names (natives extracted once per machine, not per task), and PyTorch's intra-op threads
 * per task. In local mode the executors are the driver's JVM, so {@link #applyHere} covers them; on a cluster
 * {@link #configure} passes the same through the executors' JVM options and environment.
 *
 * @param nativesDir     the DJL/JavaCPP cache (null: the default, ~/.cache/equilibria or $EQUILIBRIA_CACHE)
 * @param modelsDir      where models are looked up by name (null: the core's search path)
 * @param threadsPerTask PyTorch threads for each task
 * @param tasksAtOnce    tasks one executor runs at once (local[N]: N; on a cluster its cores over spark.task.cpus; 0:
 *                       the executor's processors over the threads per task); without --max-memory each task's
 *                       budget is the executor's default budget divided by it, since they share one process
 */
public record JobSettings(String nativesDir, String modelsDir, int threadsPerTask, int tasksAtOnce) implements Serializable {
    public JobSettings {
        if (threadsPerTask < 1) throw new IllegalArgumentException("threads per task must be >= 1, got " + threadsPerTask);
        if (tasksAtOnce < 0) throw new IllegalArgumentException("tasks at once must be >= 0, got " + tasksAtOnce);
    }

    /**
     * The memory budget of one task when the user gave none: the core's default for this process (three quarters of
     * the machine's or container's memory) shared by the tasks that run in it at once, in MiB.
     */
    public long taskBudgetMiB() {
        int n = tasksAtOnce > 0 ? tasksAtOnce : Math.max(1, Runtime.getRuntime().availableProcessors() / threadsPerTask);
        return Math.max(1, io.equilibria.reconstruct.tiling.MemoryModel.defaultBudgetBytes() / n / (1L << 20));
    }

    /** Tasks one executor runs at once for a master and configuration (0 when only the executor can tell). */
    public static int tasksAtOnce(String master, SparkConf conf, int threadsPerTask) {
        java.util.regex.Matcher local = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?]").matcher(master.trim());
        if (master.trim().equals("local")) return 1;
        if (local.matches()) {
            int cores = local.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(local.group(1));
            return Math.max(1, cores / Math.max(1, conf.getInt("spark.task.cpus", 1)));
        }
        if (conf.contains("spark.executor.cores")) return Math.max(1, conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1)));
        return 0;
    }

    /** Sets the properties in this JVM unless the user set them (must run before the engine starts). */
    public void applyHere() {
        setIfAbsent("ai.djl.offline", "true");
        if (nativesDir != null) setIfAbsent("equilibria.cache", nativesDir);
        if (modelsDir != null) setIfAbsent("equilibria.models", modelsDir);
        setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threadsPerTask));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    }

    /** The executors' JVM options and environment, added to whatever the user already configured. */
    public void configure(SparkConf conf) {
        String mine = "-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=" + threadsPerTask + " -Dai.djl.pytorch.num_interop_threads=1"
                + (nativesDir == null ? "" : " -Dequilibria.cache=" + nativesDir)
                + (modelsDir == null ? "" : " -Dequilibria.models=" + modelsDir);
        String theirs = conf.get("spark.executor.extraJavaOptions", "").trim();
        conf.set("spark.executor.extraJavaOptions", theirs.isEmpty() ? mine : theirs + " " + mine);
        if (nativesDir != null) conf.setExecutorEnv("EQUILIBRIA_CACHE", nativesDir);
        if (modelsDir != null) conf.setExecutorEnv("EQUILIBRIA_MODELS", modelsDir);
    }

    /**
     * The shipped models when this job runs from a build of the repository ({@code spark/target/equilibria-spark.jar}
     * or {@code spark/target/classes}: two levels up, {@code models/}), else null.
     */
    public static String shippedModels() {
        try {
            java.nio.file.Path here = java.nio.file.Path.of(JobSettings.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            java.nio.file.Path models = here.getParent().getParent().getParent().resolve("models");
            return java.nio.file.Files.isDirectory(models) ? models.toString() : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}
