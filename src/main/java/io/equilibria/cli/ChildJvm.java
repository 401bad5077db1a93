package io.equilibria.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The command line that runs this CLI in a fresh JVM with this one's class path and settings, for benchmarks that
 * measure a run's own peak memory (a child's /proc figures are its own).
 */
final class ChildJvm {
    private static final List<String> PASSED_ON = List.of("ai.djl.offline", "DJL_CACHE_DIR", "equilibria.cache", "equilibria.models",
            "org.bytedeco.javacpp.cachedir");

    private ChildJvm() {}

    static List<String> command(List<String> cliArgs) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        for (String key : PASSED_ON) {
            if (System.getProperty(key) != null) cmd.add("-D" + key + "=" + System.getProperty(key));
        }
        cmd.add(Main.class.getName());
        cmd.addAll(cliArgs);
        return cmd;
    }
}
