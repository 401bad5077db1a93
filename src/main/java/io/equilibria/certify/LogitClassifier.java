package io.equilibria.certify;

/**
 * A classifier that also exposes its logits and its solver's cost — what the stability study of the equilibrium
 * model zoo measures (output change under noise, iterations), beyond the labels randomized smoothing needs.
 */
public interface LogitClassifier extends Classifier {
    /** Logits [B][classes] of a batch of flattened inputs. */
    float[][] logits(float[][] batch);

    /** Mean forward-solver iterations per batch so far. */
    double meanIterations();
}
