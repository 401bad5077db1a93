package io.equilibria.nn;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

import java.util.Random;

/** He-normal initialiser (std = sqrt(2 / fan-in)) from its own seeded Java RNG. */
public record SeededHe(long seed) implements Initializer {
    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        long fanIn = shape.size() / shape.get(0);
        double std = Math.sqrt(2.0 / fanIn);
        Random r = new Random(seed);
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (std * r.nextGaussian());
        // the engine's own copy: an array made from a Java buffer shares that buffer's memory, whose lifetime
        // is tied to the DJL handle rather than to every tensor that may refer to it
        // (toType to the same type would alias that memory, not copy it; duplicate() is a real copy)
        try (NDArray a = Tensors.owned(manager.create(v, shape))) {
            return dataType == DataType.FLOAT32 ? a.duplicate() : a.toType(dataType, true);
        }
    }
}
