package io.equilibria.compute;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Constants that are safe to record, the one home of this DJL workaround. DJL's number overloads ({@code x.div(2)},
 * {@code x.maximum(1.0)}, {@code x.mul(c)}) wrap the number in a tensor over a Java direct buffer and close it at once,
 * but the backward pass of div, mul, maximum, pow … keeps that tensor, and once the garbage collector has freed the
 * buffer the gradient is computed from freed memory (sporadic NaN or garbage gradients; GEQ training hit NaN at a
 * reproducible step this way). These helpers copy the constant into memory the engine owns, in an array left open on a
 * manager that outlives the backward pass (x's own, or the one given).
 */
public final class Scalars {
    private Scalars() {}

    /** c as a (1)-shaped array of {@code type} on {@code m}, in engine-owned memory, left open. */
    public static NDArray constant(NDManager m, double c, DataType type) {
        return ownedAs(m.create(new double[] {c}, new Shape(1)), type);
    }

    /** c as a 0-d array of {@code like}'s type on its manager and device, in engine-owned memory, left open. */
    public static NDArray constant(NDArray like, double c) {
        return ownedAs(like.getManager().create(c), like.getDataType());
    }

    /** {@code host} (made from Java data) as {@code type} in engine-owned memory; {@code host} is closed. */
    private static NDArray ownedAs(NDArray host, DataType type) {
        NDArray typed = host.toType(type, false);
        if (typed == host) return Tensors.owned(host); // toType to the same type returns the array itself
        host.close();                                  // another type is a new engine-owned array already
        return typed;
    }

    /** The value of a one-element array as a double, without leaving a converted copy on the array's manager. */
    public static double value(NDArray a) {
        if (a.getDataType() == DataType.FLOAT64) return a.getDouble(); // 0-d or (1): no index needed
        try (NDArray d = a.toType(DataType.FLOAT64, false)) {
            return d.getDouble();
        }
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
