package io.equilibria.cli;

import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** One CLI command: its options and what it does with them. Returns an exit code. */
public interface Command {
    String name();

    String summary();

    /** Extra words after the command name shown in usage, e.g. {@code gaussian|airy|bornwolf}. */
    default String arguments() { return ""; }

    Options options();

    int run(CommandLine line) throws Exception;
}
