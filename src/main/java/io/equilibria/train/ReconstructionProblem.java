package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import io.equilibria.physics.LinearOperator;

/**
 * One training or validation problem: ground truth x (operator domain), its operator A, measurements y = A x + n and
 * the noise level σ (normalised units). {@code ownsOperator} says whether closing the problem closes A (shared CS
 * operators are pooled and closed by their pool).
 */
public record ReconstructionProblem(NDArray truth, LinearOperator operator, NDArray y, double sigma, String description,
                                    boolean ownsOperator) implements AutoCloseable {
    @Override
    public void close() {
        truth.close();
        y.close();
        if (ownsOperator) {
            try {
                operator.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
