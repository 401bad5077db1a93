package io.equilibria.image.registration;

import java.util.Locale;

/**
 * How to register the frames of a stack before they are used together: the motion to find, the frame the others are
 * aligned to (0-based) and the confidence below which a frame is refused.
 */
public record RegistrationSpec(Motion motion, int referenceFrame, double minConfidence) {
    public static final double DEFAULT_MIN_CONFIDENCE = 0.5;

    public RegistrationSpec {
        if (motion == null) throw new IllegalArgumentException("a registration needs a motion");
        if (referenceFrame < 0) throw new IllegalArgumentException("the reference frame must be 1 or more");
        if (!(minConfidence >= 0 && minConfidence <= 1)) throw new IllegalArgumentException("the minimum confidence must be in [0, 1]");
    }

    public static RegistrationSpec defaults() { return new RegistrationSpec(Motion.EUCLIDEAN, 0, DEFAULT_MIN_CONFIDENCE); }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s to frame %d, min confidence %.2f", motion.name().toLowerCase(Locale.ROOT), referenceFrame + 1, minConfidence);
    }
}
