package io.equilibria.errors;

/**
 * The settings a user gives a run, by concept. The core names them in its messages by {@link #phrase}, never by a
 * command-line flag or a dialog field, so every front end can say which of its own options is meant
 * ({@link #annotate}).
 */
public enum Setting {
    METHOD("the method"),
    MODEL("the model"),
    SOLVER("the solver"),
    STRENGTH("the prior strength"),
    ITERATIONS("the iteration count"),
    LAMBDA("the regularisation weight"),
    TOLERANCE("the tolerance"),
    PSF("the PSF"),
    NOISE_SIGMA("the noise level"),
    BOUNDARY("the boundary"),
    NORMALIZATION("the normalisation"),
    OFFSET("the camera offset"),
    MULTI_FRAME("the multi-frame mode"),
    REGISTRATION("the frame registration"),
    VOLUME("the 3D mode"),
    REFERENCE("the reference"),
    MEMORY_BUDGET("the memory budget"),
    TILE("the tile size"),
    WARM_START("the warm start mode"),
    CHANNEL("the channel"),
    SIDE_BY_SIDE("the side-by-side figure"),
    DEVICE("the device"),
    ODER("the ODER settings"),
    MINIBATCH("the minibatch size"),
    SCALING("the minibatch scaling"),
    AVERAGE("the iterate average"),
    SHARD("the shard"),
    INCLUDE("the include patterns"),
    EXCLUDE("the exclude patterns"),
    RECURSIVE("the recursive search"),
    SMOOTHING_SIGMA("the smoothing noise level"),
    SAMPLES("the sample counts"),
    SRS_STEPS("the SRS steps and recheck count"),
    EPOCHS("the epoch count"),
    LEARNING_RATE("the learning rate"),
    CHECKPOINT("the checkpoint directory"),
    DENOISER("the starting denoiser"),
    INPUT("the input"),
    OUTPUT("the output"),
    REPORT("the report"),
    BEAD_BOX("the bead box size"),
    BEADS("the bead count");

    private final String phrase;

    Setting(String phrase) { this.phrase = phrase; }

    /** How the core's messages name this setting, e.g. "the noise level". */
    public String phrase() { return phrase; }

    @Override
    public String toString() { return phrase; }

    /** How a front end names its options. */
    public interface Names {
        /** The front end's name of the setting (e.g. "--noise-sigma"), or null if it has none. */
        String of(Setting s);
    }

    /** A core message with each setting it names followed by the front end's name for it: "the noise level (--noise-sigma)". */
    public static String annotate(String message, Names names) {
        if (message == null) return null;
        String out = message;
        for (Setting s : values()) {
            String name = names.of(s);
            if (name == null || out.contains(s.phrase + " (" + name + ")")) continue;
            if (s.phrase.equals("the " + name.replace('_', ' '))) continue; // "the model (model)" says nothing
            // the phrase as words of its own ("the model", not "the model's" or "the models")
            out = out.replaceAll("(?<![\\w-])" + java.util.regex.Pattern.quote(s.phrase) + "(?![\\w'-])",
                    java.util.regex.Matcher.quoteReplacement(s.phrase + " (" + name + ")"));
        }
        return out;
    }
}
