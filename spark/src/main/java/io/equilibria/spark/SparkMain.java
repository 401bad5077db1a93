package io.equilibria.spark;

import io.equilibria.cli.ExitCodes;
import io.equilibria.cli.Main;

import java.util.Arrays;

/**
 * {@code equilibria-spark reconstruct deblur|cs [options]}: the CLI's batch reconstruction as a Spark job. Run it with
 * {@code spark-submit} on a cluster, or {@code java -jar spark/target/equilibria-spark.jar reconstruct … --master
 * local[N]} on one machine. Messages, {@code --help} and exit codes are the CLI's.
 */
public final class SparkMain {
    private SparkMain() {}

    public static void main(String[] args) {
        int code = run(args);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Runs the job and returns its exit code (tests call this without exiting). */
    public static int run(String... args) {
        if (args.length > 0 && args[0].equals("bench")) { // bench spark (the word after bench is optional: one bench here)
            int from = args.length > 1 && args[1].equals("spark") ? 2 : 1;
            try {
                return SparkBench.run(Arrays.copyOfRange(args, from, args.length));
            } catch (Exception e) {
                System.err.println("equilibria: error: bench: " + e);
                return ExitCodes.FAILURE;
            }
        }
        if (args.length == 0 || !args[0].equals("reconstruct")) {
            boolean help = args.length > 0 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"));
            (help ? System.out : System.err).println("usage: equilibria-spark reconstruct deblur|cs --input DIR --output DIR "
                    + "--master URL [the options of equilibria reconstruct] [--natives DIR] [--threads-per-task N] [--partitions N]"
                    + "\n       equilibria-spark bench spark [--images N] [--size PX] [--method M]   (images/s: CLI batch vs local[1] and local[2])"
                    + "\n(equilibria-spark reconstruct --help lists them all)");
            return help ? ExitCodes.OK : ExitCodes.USAGE;
        }
        return Main.run(new SparkReconstructCommand(), Arrays.copyOfRange(args, 1, args.length));
    }
}
