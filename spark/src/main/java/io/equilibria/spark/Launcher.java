package io.equilibria.spark;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The jar's entry point. Under spark-submit Spark is on the class path and {@link SparkMain} runs directly. Run as
 * {@code java -jar equilibria-spark.jar} there is no Spark (it is a provided dependency, kept out of the manifest so a
 * cluster's own Spark is the one used), so this loads the jar and every jar in {@code lib/} beside it, Spark
 * included, in one class loader and runs {@link SparkMain} there. The Spark flags Java 17 needs come from the
 * manifest's {@code Add-Opens}.
 */
public final class Launcher {
    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (sparkPresent(Launcher.class.getClassLoader())) {
            SparkMain.main(args);
            return;
        }
        Path jar = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path lib = jar.resolveSibling("lib");
        List<URL> urls = new ArrayList<>();
        urls.add(jar.toUri().toURL());
        try (Stream<Path> s = Files.list(lib)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".jar")).sorted()::iterator) urls.add(p.toUri().toURL());
        } catch (IOException e) {
            System.err.println("equilibria: error: no Spark on the class path and no " + lib + " beside " + jar
                    + " (build with mvn package, or run through spark-submit)");
            System.exit(1);
        }
        URLClassLoader loader = new URLClassLoader("equilibria-spark", urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
        if (!sparkPresent(loader)) {
            System.err.println("equilibria: error: no Spark in " + lib + " (build with mvn package, or run through spark-submit)");
            System.exit(1);
        }
        Thread.currentThread().setContextClassLoader(loader);
        Method main = loader.loadClass(SparkMain.class.getName()).getMethod("main", String[].class);
        main.invoke(null, (Object) args);
    }

    private static boolean sparkPresent(ClassLoader loader) {
        try {
            Class.forName("org.apache.spark.SparkConf", false, loader);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
