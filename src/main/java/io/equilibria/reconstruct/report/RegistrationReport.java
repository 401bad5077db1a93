package io.equilibria.reconstruct.report;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.List;
import java.util.Locale;

/**
 * How the frames of a multi-frame deblur were registered before it: the motion, the reference frame (1-based), each
 * frame's map from the reference's pixels to its own (shift, rotation, the 2×3 matrix) and confidence, and the time.
 */
public record RegistrationReport(String motion, int referenceFrame, List<Frame> frames, double seconds) {
    /** One frame: 1-based index, shift in pixels, rotation in degrees, confidence (ECC's correlation coefficient), matrix. */
    public record Frame(int frame, double dx, double dy, double degrees, double confidence, List<Double> matrix) {}

    /** One line for the image's info and the summary. */
    @JsonIgnore
    public String line() {
        double shift = 0, turn = 0, low = 1;
        for (Frame f : frames) {
            shift = Math.max(shift, Math.hypot(f.dx(), f.dy()));
            turn = Math.max(turn, Math.abs(f.degrees()));
            low = Math.min(low, f.confidence());
        }
        return String.format(Locale.ROOT, "%d frames registered (%s, to frame %d): largest shift %.2f px, largest rotation %.2f deg, "
                + "lowest confidence %.3f", frames.size(), motion, referenceFrame, shift, turn, low);
    }
}
