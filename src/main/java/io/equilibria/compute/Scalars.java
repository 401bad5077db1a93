package io.equilibria.compute;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Products with constants that are safe to record. DJL's {@code mul(Number)} wraps the number in an array that shares a
 * Java buffer and closes it at once; the buffer is released at the next garbage collection, but the backward pass of a
 * recorded product still reads it (GEQ training hit NaN gradients at a reproducible step this way). These helpers put
 * the constant in an array left open on a manager that outlives the backward pass (x's own, or the one given).
 */
public final class Scalars {
    private Scalars() {}

    /** c as a one-element array of x's type on {@code m}, left open. */
    public static NDArray constant(NDManager m, double c, DataType type) {
        return type == DataType.FLOAT64 ? m.create(new double[] {c}, new Shape(1)) : m.create(new float[] {(float) c}, new Shape(1));
    }

    /** A new array x·c (also for c = 1: callers may modify it in place), the constant on x's manager. */
    public static NDArray times(NDArray x, double c) {
        return x.mul(constant(x.getManager(), c, x.getDataType()));
    }

    /** A new array x·c, the constant on {@code m} (when x lives on a long-lived manager, e.g. a parameter's). */
    public static NDArray times(NDArray x, double c, NDManager m) {
        return x.mul(constant(m, c, x.getDataType()));
    }

    /** x ← x·c in place, the constant on x's manager. */
    public static NDArray timesInPlace(NDArray x, double c) {
        return c == 1 ? x : x.muli(constant(x.getManager(), c, x.getDataType()));
    }
}
