package io.equilibria.compute;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.image.Plane;

import java.util.List;

/** Conversions between planes and tensors, and a few reductions returned as Java numbers. */
public final class Tensors {
    private Tensors() {}

    public static NDArray of(NDManager m, Plane p) {
        return owned(m.create(p.data(), new Shape(p.height(), p.width())));
    }

    /** A (K, H, W) tensor from K planes of one size. */
    public static NDArray stack(NDManager m, List<Plane> planes) {
        Plane f = planes.get(0);
        float[] all = new float[planes.size() * f.width() * f.height()];
        int n = f.width() * f.height();
        for (int k = 0; k < planes.size(); k++) System.arraycopy(planes.get(k).data(), 0, all, k * n, n);
        return owned(m.create(all, new Shape(planes.size(), f.height(), f.width())));
    }

    public static Plane toPlane(NDArray a) {
        Shape s = a.getShape();
        if (s.dimension() != 2) throw new IllegalArgumentException("expected a 2D tensor, got " + s);
        NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
        return new Plane((int) s.get(1), (int) s.get(0), f.toFloatArray());
    }

    /**
     * {@code created} (an array just made from Java data by {@code NDManager.create}) copied into memory the engine
     * owns; the original is closed. DJL's PyTorch engine wraps Java data without a copy (from_blob over a direct
     * buffer that only the created array's Java object keeps alive): a view of it (reshape, slice) or an autograd graph
     * that saved it reads freed memory once that object is closed and the buffer collected. Every array made from Java
     * data in the core goes through here.
     */
    public static NDArray owned(NDArray created) {
        NDArray copy = created.duplicate();
        created.close();
        return copy;
    }

    public static double dot(NDArray a, NDArray b) {
        try (NDArray p = a.mul(b); NDArray s = p.sum()) {
            return Scalars.value(s); // no converted copy left on the operands' manager
        }
    }

    public static double norm(NDArray a) {
        return Math.sqrt(dot(a, a));
    }

    public static double sum(NDArray a) {
        try (NDArray s = a.sum()) {
            return Scalars.value(s); // no converted copy left on the operands' manager
        }
    }

    public static double max(NDArray a) {
        try (NDArray s = a.max()) {
            return Scalars.value(s); // no converted copy left on the operands' manager
        }
    }

    /** An integer array (e.g. class labels from argMax) as Java ints. */
    public static int[] toInts(NDArray a) {
        long[] l = a.toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
        int[] r = new int[l.length];
        for (int i = 0; i < l.length; i++) r[i] = (int) l[i];
        return r;
    }
}
