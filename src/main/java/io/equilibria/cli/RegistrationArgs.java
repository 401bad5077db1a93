package io.equilibria.cli;

import io.equilibria.image.registration.Motion;
import io.equilibria.image.registration.RegistrationSpec;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** The registration settings {@code register} and {@code reconstruct --register} share: their options and their parsing. */
final class RegistrationArgs {
    private RegistrationArgs() {}

    /** Adds --motion, --reference-frame and --min-confidence, each description starting with {@code when} ("" or "with --register: "). */
    static Options addTo(Options o, String when) {
        return o.addOption(Args.opt("motion", "M", when + "translation | euclidean (rotation + shift) | affine; found by ECC on an image "
                        + "pyramid, started from the phase-correlation shift (default euclidean)"))
                .addOption(Args.opt("reference-frame", "K", when + "the frame the others are aligned to, 1-based (default 1)"))
                .addOption(Args.opt("min-confidence", "C", when + "refuse frames registered with a lower confidence (ECC's correlation "
                        + "coefficient, 0..1; default " + RegistrationSpec.DEFAULT_MIN_CONFIDENCE + ")"));
    }

    /** The settings as given (the reference frame 0-based), each checked; a bad one is a usage error naming its option. */
    static RegistrationSpec parse(CommandLine l) {
        Motion motion;
        try {
            motion = Motion.parse(l.getOptionValue("motion", "euclidean"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--motion: " + e.getMessage());
        }
        int reference = Args.integer(l, "reference-frame", 1);
        if (reference < 1) throw new UsageException("--reference-frame must be >= 1");
        double min = Args.dbl(l, "min-confidence", RegistrationSpec.DEFAULT_MIN_CONFIDENCE);
        if (!(min >= 0 && min <= 1)) throw new UsageException("--min-confidence must be in [0, 1]");
        return new RegistrationSpec(motion, reference - 1, min);
    }
}
