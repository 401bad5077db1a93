package io.equilibria.errors;

/** A numerical failure (divergence, NaN); reported with its own exit code. */
public class NumericalException extends RuntimeException {
    public NumericalException(String message) { super(message); }
}
