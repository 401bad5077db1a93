package io.equilibria.certify;

/**
 * A base classifier f for randomized smoothing, on plain float arrays so that the smoothing code and its tests
 * need no deep-learning engine ({@link BlockClassifier} adapts any DJL block, {@link TorchScriptClassifier} a
 * user's TorchScript file).
 * <p>
 * Input: one image is a {@code float[]} of length {@link #inputLength()}, the product of {@link #inputShape()}
 * (channels, height, width) flattened in row-major (C, H, W) order, in the same units/normalisation the model
 * expects <em>before</em> any normalisation it does itself — Gaussian noise is added in this space, so σ and the
 * certified L2 radius are measured in it (Cohen et al. add the noise before normalising, for the same reason).
 */
public interface Classifier {

    /** Number of classes; labels are 0 … numClasses − 1. */
    int numClasses();

    /** Shape of one input, e.g. {1, 28, 28}. */
    int[] inputShape();

    /** Length of one flattened input: the product of {@link #inputShape()}. */
    default int inputLength() {
        int length = 1;
        for (int d : inputShape()) {
            length *= d;
        }
        return length;
    }

    /**
     * Labels of a batch: {@code batch[i]} is one flattened input; returns one label in [0, numClasses) per row.
     * The caller reuses the arrays between calls, so implementations must not keep references to them.
     */
    int[] classify(float[][] batch);

    /** The batch as one row-major array (B × {@link #inputLength()}); an input of another length is an error. */
    default float[] flatten(float[][] batch) {
        int d = inputLength();
        float[] flat = new float[batch.length * d];
        for (int i = 0; i < batch.length; i++) {
            if (batch[i].length != d) throw new IllegalArgumentException("input " + i + " has length " + batch[i].length + ", model expects " + d);
            System.arraycopy(batch[i], 0, flat, i * d, d);
        }
        return flat;
    }

    /** The label of each row of scores: its largest entry, ties to the smallest label (as in the smoothing counts). */
    static int[] labels(float[][] scores) {
        int[] labels = new int[scores.length];
        for (int i = 0; i < scores.length; i++) {
            int best = 0;
            for (int c = 1; c < scores[i].length; c++) if (scores[i][c] > scores[i][best]) best = c;
            labels[i] = best;
        }
        return labels;
    }

    /** Row-major scores (B × classes), e.g. logits, as [B][classes]. */
    static float[][] rows(float[] flat, int classes) {
        float[][] out = new float[flat.length / classes][classes];
        for (int i = 0; i < out.length; i++) System.arraycopy(flat, i * classes, out[i], 0, classes);
        return out;
    }
}
