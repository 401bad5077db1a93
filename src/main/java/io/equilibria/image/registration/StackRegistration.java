package io.equilibria.image.registration;

import io.equilibria.image.ImageData;
import io.equilibria.image.Plane;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Aligns every frame of a stack (multi-view frames or a time-lapse) to one reference frame: each frame's map from
 * the reference's pixels to its own ({@link FrameRegistration}), and the frames resampled onto the reference's grid.
 * A frame whose registration confidence is below the threshold is refused (nothing is written): aligning it anyway
 * would blur a multi-frame reconstruction more than leaving the stack as it is.
 *
 * @param transforms one per frame (the reference's is the identity), in stack order
 * @param aligned    the frames on the reference's grid, with the input's calibration
 */
public record StackRegistration(List<Transform2d> transforms, ImageData aligned, int reference, Motion motion) {
    /** Pyramid halvings for ECC: drifts of several pixels become a pixel or two at the top. */
    public static final int LEVELS = 2;

    /**
     * @param reference     the frame the others are aligned to (0-based)
     * @param minConfidence frames whose confidence (ECC's correlation coefficient) is below it are refused
     */
    public static StackRegistration of(ImageData frames, Motion motion, int reference, double minConfidence) {
        int n = frames.size();
        if (n < 2) throw new RegistrationException("registration needs at least two frames; the image has " + n);
        if (reference < 0 || reference >= n) throw new IllegalArgumentException("reference frame " + (reference + 1) + " is not in 1.." + n);
        if (!(minConfidence >= 0 && minConfidence <= 1)) throw new IllegalArgumentException("minimum confidence must be in [0, 1]");
        Plane ref = frames.plane(reference);
        List<Transform2d> ts = new ArrayList<>(n);
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Transform2d t;
            if (i == reference) {
                t = Transform2d.identity().withConfidence(1);
            } else {
                try {
                    // ECC for every motion, translation included: it starts from the phase-correlation shift and refines
                    // it (phase correlation's own sub-pixel peak was 0.2 px off on a 96-px frame)
                    t = FrameRegistration.ecc(ref, frames.plane(i), motion, LEVELS);
                } catch (RegistrationException e) {
                    refused.add("frame " + (i + 1) + ": " + e.getMessage());
                    ts.add(null);
                    continue;
                }
                if (t.confidence() < minConfidence) {
                    refused.add(String.format(Locale.ROOT, "frame %d: confidence %.3f < %.3f", i + 1, t.confidence(), minConfidence));
                }
            }
            ts.add(t);
        }
        if (!refused.isEmpty()) {
            throw new RegistrationException("cannot register " + refused.size() + " of " + n + " frames to frame " + (reference + 1)
                    + " (" + String.join("; ", refused) + "); the frames may not show the same scene, or move more than "
                    + "registration can follow. Lower the minimum confidence only if you have checked them");
        }
        List<Plane> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(i == reference ? frames.plane(i).copy() : FrameRegistration.align(frames.plane(i), ts.get(i)));
        return new StackRegistration(List.copyOf(ts), frames.withPlanes(out), reference, motion);
    }
}
