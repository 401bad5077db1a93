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

    /** This command's option for each setting the core's messages may name (null: none); see {@link io.equilibria.errors.Setting}. */
    default io.equilibria.errors.Setting.Names settingNames() { return s -> null; }

    int run(CommandLine line) throws Exception;
}
