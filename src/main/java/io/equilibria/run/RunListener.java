package io.equilibria.run;

import io.equilibria.reconstruct.methods.Deconvolution;

/** What a front end hears of a run over files: its messages, progress per image, and each solve's iterations (to cancel). */
public interface RunListener {
    /** A line for the user: what is being done, what was written, what was skipped and why. */
    default void message(String line) {}

    /** Progress of image {@code index} (0-based) of {@code images}; its solves report through the returned listener. */
    default Deconvolution.PlaneListener solving(int index, int images) { return Deconvolution.PlaneListener.NONE; }

    /** {@code done} of {@code images} have finished (or were skipped). */
    default void done(int done, int images) {}

    RunListener NONE = new RunListener() {};
}
