package io.equilibria.cli;

import io.equilibria.errors.DeviceException;
import io.equilibria.errors.InputException;
import io.equilibria.errors.OutputException;
import io.equilibria.errors.NumericalException;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.MissingArgumentException;
import org.apache.commons.cli.MissingOptionException;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Entry point: {@code equilibria <command> [subcommand] [options]}; every command has {@code --help}. */
public final class Main {
    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static {
        for (Command c : List.of(new PsfCommand(), new SimulateCommand(), new ReconstructCommand(), new MetricsCommand(),
                new BenchCommand(), new ExperimentCommand(), new TrainCommand(), new CertifyCommand(), new RegisterCommand())) {
            COMMANDS.put(c.name(), c);
        }
    }

    private Main() {}

    public static void main(String[] args) {
        int code = run(args);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Runs a command and returns its exit code (used by tests without exiting the JVM). */
    public static int run(String... args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            printOverview();
            return args.length == 0 ? ExitCodes.USAGE : ExitCodes.OK;
        }
        if (args[0].equals("--version") || args[0].equals("version")) {
            System.out.println("equilibria " + version());
            return ExitCodes.OK;
        }
        Command command = COMMANDS.get(args[0]);
        if (command == null) {
            System.err.println("equilibria: error: unknown command '" + args[0] + "' (commands: "
                    + String.join(", ", COMMANDS.keySet()) + ")");
            return ExitCodes.USAGE;
        }
        return run(command, Arrays.copyOfRange(args, 1, args.length));
    }

    /**
     * Runs {@code command} on the words after its name, with every command's help, messages and exit codes. Public
     * for front ends outside this jar (the Spark job), so their errors read and exit as the CLI's do.
     */
    public static int run(Command command, String... rest) {
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            printHelp(command);
            return ExitCodes.OK;
        }
        // the core names settings by concept ("the noise level"); the messages say which of this command's options is meant
        java.util.function.UnaryOperator<String> names = m -> io.equilibria.errors.Setting.annotate(m, command.settingNames());
        try {
            CommandLine line = new DefaultParser().parse(command.options(), rest);
            return command.run(line);
        } catch (MissingOptionException e) {
            return fail(ExitCodes.USAGE, command.name() + ": missing required option(s) " + e.getMissingOptions()
                    + " (see: equilibria " + command.name() + " --help)");
        } catch (MissingArgumentException e) {
            return fail(ExitCodes.USAGE, command.name() + ": option --" + e.getOption().getLongOpt()
                    + " needs a value");
        } catch (ParseException | UsageException e) {
            return fail(ExitCodes.USAGE, command.name() + ": " + names.apply(e.getMessage()) + " (see: equilibria " + command.name()
                    + " --help)");
        } catch (InputException e) {
            return fail(ExitCodes.BAD_INPUT, names.apply(e.getMessage()));
        } catch (OutputException e) {
            return fail(ExitCodes.OUTPUT, names.apply(e.getMessage()));
        } catch (NumericalException e) {
            return fail(ExitCodes.NUMERICAL, names.apply(e.getMessage()));
        } catch (DeviceException e) {
            return fail(ExitCodes.DEVICE, names.apply(e.getMessage()));
        } catch (IllegalArgumentException e) {
            return fail(ExitCodes.USAGE, command.name() + ": " + names.apply(e.getMessage()));
        } catch (io.equilibria.errors.MemoryException e) {
            return fail(ExitCodes.MEMORY, names.apply(e.getMessage()));
        } catch (OutOfMemoryError e) {
            return fail(ExitCodes.MEMORY, "out of Java heap memory; give Java more with -Xmx, or lower --max-memory so large images are tiled");
        } catch (Exception e) {
            e.printStackTrace();
            return fail(ExitCodes.FAILURE, "internal error: " + e);
        }
    }

    static int fail(int code, String message) {
        System.err.println("equilibria: error: " + message);
        return code;
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static void printOverview() {
        System.out.println("Equilibria " + version() + ": deep-equilibrium and classical image reconstruction");
        System.out.println("usage: equilibria <command> [subcommand] [options]   (equilibria <command> --help)");
        for (Command c : COMMANDS.values()) {
            System.out.printf("  %-12s %s%n", c.name(), c.summary());
        }
        System.out.println("exit codes: 0 ok, 2 usage, 3 bad input, 4 numerical failure, 5 output, 6 device, "
                + "7 some batch items failed, 8 out of memory");
    }

    static void printHelp(Command c) {
        HelpFormatter f = new HelpFormatter();
        f.setWidth(110);
        f.setOptionComparator(null);
        PrintWriter w = new PrintWriter(System.out, true);
        String syntax = "equilibria " + c.name() + (c.arguments().isEmpty() ? "" : " " + c.arguments()) + " [options]";
        f.printHelp(w, 110, syntax, c.summary(), withHelp(c.options()), 2, 2, "", false);
        w.flush();
    }

    private static Options withHelp(Options o) {
        Options copy = new Options();
        o.getOptions().forEach(copy::addOption);
        copy.addOption(Args.opt("help", null, "show this help"));
        return copy;
    }
}
