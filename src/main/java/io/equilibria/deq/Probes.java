package io.equilibria.deq;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.util.Random;

/** Seeded random probe vectors shaped like a given array (generated on the host so results are reproducible). */
final class Probes {
    private Probes() {}

    static NDArray gaussian(NDArray like, Random r) {
        int n = (int) like.getShape().size();
        if (like.getDataType() == DataType.FLOAT64) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = r.nextGaussian();
            return Tensors.owned(like.getManager().create(v, like.getShape()));
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return Tensors.owned(like.getManager().create(v, like.getShape())).toType(like.getDataType(), false);
    }
}
