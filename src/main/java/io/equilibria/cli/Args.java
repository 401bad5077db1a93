package io.equilibria.cli;

import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

import java.nio.file.Path;
import java.nio.file.Paths;

/** Typed access to option values; a malformed number is a usage error naming the option. */
final class Args {
    private Args() {}

    static Option opt(String longName, String arg, String description) {
        return Option.builder().longOpt(longName).hasArg(arg != null).argName(arg).desc(description).build();
    }

    static Option required(String longName, String arg, String description) {
        return Option.builder().longOpt(longName).hasArg().argName(arg).desc(description).required().build();
    }

    /** An enum option by its lower-case name (default when absent); anything else is a usage error naming the choices. */
    static <E extends Enum<E>> E choice(CommandLine l, String name, Class<E> type, E dflt) {
        if (!l.hasOption(name)) return dflt;
        String v = l.getOptionValue(name).trim();
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(v)) return e;
        throw new UsageException("--" + name + " must be one of " + java.util.Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(java.util.Locale.ROOT)).toList() + ", got '" + v + "'");
    }

    static double dbl(CommandLine l, String name, double def) {
        if (!l.hasOption(name)) return def;
        String v = l.getOptionValue(name);
        try {
            double d = Double.parseDouble(v);
            if (!Double.isFinite(d)) throw new NumberFormatException();
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " needs a number, got '" + v + "'");
        }
    }

    static int integer(CommandLine l, String name, int def) {
        if (!l.hasOption(name)) return def;
        String v = l.getOptionValue(name);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " needs a whole number, got '" + v + "'");
        }
    }

    static long lng(CommandLine l, String name, long def) {
        if (!l.hasOption(name)) return def;
        String v = l.getOptionValue(name);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " needs a whole number, got '" + v + "'");
        }
    }

    static Path path(CommandLine l, String name) {
        return l.hasOption(name) ? Paths.get(l.getOptionValue(name)) : null;
    }

    static void positive(String name, double v) {
        if (!(v > 0)) throw new UsageException("--" + name + " must be > 0, got " + v);
    }

    static void nonNegative(String name, double v) {
        if (!(v >= 0)) throw new UsageException("--" + name + " must be >= 0, got " + v);
    }
}
