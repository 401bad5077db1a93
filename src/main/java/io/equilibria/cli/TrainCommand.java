package io.equilibria.cli;

import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code train <what>}: one command, one {@link Subcommand} per kind of model. The option parser sees the union of
 * every subcommand's options; an option given to a subcommand that does not take it is a usage error. A new kind
 * (e.g. {@code deq}) is one more entry in {@link #SUBCOMMANDS}.
 */
final class TrainCommand implements Command {
    /** One kind of training. */
    interface Subcommand {
        String name();

        String summary();

        /** Its options (long names must be unique across subcommands or mean the same thing). */
        List<Option> options();

        /** Runs with the parsed options; {@code commandLine} is the full command as the user gave it, for cards. */
        int run(CommandLine line, String commandLine) throws Exception;
    }

    private static final Map<String, Subcommand> SUBCOMMANDS = new LinkedHashMap<>();

    static {
        for (Subcommand s : List.<Subcommand>of(new TrainDenoiser(), new TrainDeq(false), new TrainDeq(true), new TrainClassifier())) SUBCOMMANDS.put(s.name(), s);
    }

    @Override public String name() { return "train"; }

    @Override
    public io.equilibria.errors.Setting.Names settingNames() {
        return s -> switch (s) {
            case MINIBATCH -> "--minibatch";
            case EPOCHS -> "--epochs";
            case LEARNING_RATE -> "--lr";
            case CHECKPOINT -> "--checkpoint";
            case DENOISER -> "--denoiser";
            case OUTPUT -> "--output";
            default -> null;
        };
    }

    @Override
    public String summary() {
        StringBuilder b = new StringBuilder("train models:");
        SUBCOMMANDS.values().forEach(s -> b.append(' ').append(s.name()).append(" (").append(s.summary()).append(')'));
        return b.toString();
    }

    @Override public String arguments() { return String.join("|", SUBCOMMANDS.keySet()); }

    @Override
    public Options options() {
        Options o = new Options();
        Map<String, Option> first = new LinkedHashMap<>();
        Map<String, Map<String, List<String>>> byText = new LinkedHashMap<>(); // option -> description -> subcommands
        for (Subcommand s : SUBCOMMANDS.values()) {
            for (Option opt : s.options()) {
                first.putIfAbsent(opt.getLongOpt(), opt);
                byText.computeIfAbsent(opt.getLongOpt(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(opt.getDescription(), k -> new java.util.ArrayList<>()).add(s.name());
            }
        }
        for (Map.Entry<String, Option> e : first.entrySet()) {
            List<String> parts = new java.util.ArrayList<>();
            byText.get(e.getKey()).forEach((text, subs) -> parts.add(String.join(", ", subs) + ": " + text));
            e.getValue().setDescription(String.join(" | ", parts));
            o.addOption(e.getValue());
        }
        return o;
    }

    @Override
    public int run(CommandLine l) throws Exception {
        List<String> rest = l.getArgList();
        Subcommand sub = rest.size() == 1 ? SUBCOMMANDS.get(rest.get(0)) : null;
        if (sub == null) {
            throw new UsageException("say what to train: " + String.join(" or ", SUBCOMMANDS.keySet())
                    + (rest.isEmpty() ? "" : " (got " + String.join(" ", rest) + ")"));
        }
        Set<String> accepted = new LinkedHashSet<>();
        for (Option opt : sub.options()) accepted.add(opt.getLongOpt());
        for (Option given : l.getOptions()) {
            if (!accepted.contains(given.getLongOpt())) {
                throw new UsageException("--" + given.getLongOpt() + " does not apply to train " + sub.name());
            }
        }
        return sub.run(l, commandLine(sub.name(), l));
    }

    /** The command as given (options in the order parsed, values quoted when they hold spaces). */
    static String commandLine(String sub, CommandLine l) {
        StringBuilder b = new StringBuilder("equilibria train ").append(sub);
        for (Option o : l.getOptions()) {
            b.append(" --").append(o.getLongOpt());
            if (o.hasArg()) {
                String v = o.getValue();
                b.append(' ').append(v.contains(" ") ? "'" + v + "'" : v);
            }
        }
        return b.toString();
    }
}
