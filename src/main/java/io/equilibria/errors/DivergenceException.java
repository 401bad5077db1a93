package io.equilibria.errors;

import io.equilibria.errors.NumericalException;

/** A fixed-point solve that diverged (NaN/Inf, or a residual that kept growing); the message names the residual. */
public class DivergenceException extends NumericalException {
    private final double[] trace;

    public DivergenceException(String message, double[] trace) {
        super(message);
        this.trace = trace.clone();
    }

    public double[] trace() { return trace.clone(); }
}
