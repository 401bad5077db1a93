package io.equilibria.reconstruct.classical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

/**
 * Discrete isotropic total variation on 2D tensors: forward differences with Neumann boundary, the divergence
 * that is minus its exact adjoint, and the TV proximal operator with a non-negativity constraint by Beck &amp;
 * Teboulle's fast gradient projection (FGP) on the dual: x(p) = P(v + w·div p), p ← P_{|p|≤1}(p + ∇x/(8w)).
 */
public final class TotalVariation {
    private TotalVariation() {}

    /** Forward differences (dx, dy) with the last column/row difference set to zero. */
    public static NDList gradient(NDArray x) {
        long h = x.getShape().get(0), w = x.getShape().get(1);
        NDArray dx = NDArrays.concat(new NDList(
                x.get(new NDIndex(":, 1:")).sub(x.get(new NDIndex(":, :-1"))),
                x.getManager().zeros(new ai.djl.ndarray.types.Shape(h, 1), x.getDataType())), 1);
        NDArray dy = NDArrays.concat(new NDList(
                x.get(new NDIndex("1:, :")).sub(x.get(new NDIndex(":-1, :"))),
                x.getManager().zeros(new ai.djl.ndarray.types.Shape(1, w), x.getDataType())), 0);
        return new NDList(dx, dy);
    }

    /** div = -gradient^T: for every p, &lt;gradient x, p&gt; = -&lt;x, div p&gt;. */
    public static NDArray divergence(NDArray px, NDArray py) {
        long h = px.getShape().get(0), w = px.getShape().get(1);
        NDArray zc = px.getManager().zeros(new ai.djl.ndarray.types.Shape(h, 1), px.getDataType());
        NDArray zr = px.getManager().zeros(new ai.djl.ndarray.types.Shape(1, w), px.getDataType());
        NDArray pxInner = px.get(new NDIndex(":, :-1"));
        NDArray pyInner = py.get(new NDIndex(":-1, :"));
        // (div p)_j = p_j - p_{j-1} with p_{-1} = 0 and p_{w-1} treated as 0
        NDArray divx = NDArrays.concat(new NDList(pxInner, zc), 1).sub(NDArrays.concat(new NDList(zc, pxInner), 1));
        NDArray divy = NDArrays.concat(new NDList(pyInner, zr), 0).sub(NDArrays.concat(new NDList(zr, pyInner), 0));
        return divx.add(divy);
    }

    /** Isotropic TV value sum sqrt(dx² + dy²). */
    public static double value(NDArray x) {
        try (NDScope s = new NDScope()) {
            NDList g = gradient(x);
            return g.get(0).square().add(g.get(1).square()).sqrt().sum().getFloat();
        }
    }

    /**
     * prox of {@code weight * TV + indicator(x >= 0)} at {@code v}: argmin_x ½||x - v||² + weight TV(x), x >= 0,
     * by FGP with {@code iterations} dual steps (step 1/8, the bound on ||grad||²).
     */
    public static NDArray prox(NDArray v, double weight, int iterations, boolean nonNegative) {
        if (weight <= 0) return nonNegative ? v.maximum(0) : v.duplicate();
        long h = v.getShape().get(0), w = v.getShape().get(1);
        NDArray px = v.zerosLike(), py = v.zerosLike();
        NDArray rx = px, ry = py;
        double t = 1;
        NDArray out = null;
        for (int k = 0; k < iterations; k++) {
            NDArray nrx, nry, npx, npy;
            try (NDScope s = new NDScope()) {
                NDArray x = project(v.add(divergence(rx, ry).mul(weight)), nonNegative);
                NDList g = gradient(x);
                NDArray qx = rx.add(g.get(0).mul(1.0 / (8 * weight)));
                NDArray qy = ry.add(g.get(1).mul(1.0 / (8 * weight)));
                NDArray norm = qx.square().add(qy.square()).sqrt().maximum(1);
                npx = qx.div(norm);
                npy = qy.div(norm);
                double tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
                double c = (t - 1) / tn;
                nrx = npx.add(npx.sub(px).mul(c));
                nry = npy.add(npy.sub(py).mul(c));
                t = tn;
                NDScope.unregister(npx, npy, nrx, nry);
            }
            if (rx != px) { rx.close(); ry.close(); }
            px.close();
            py.close();
            px = npx; py = npy; rx = nrx; ry = nry;
        }
        out = project(v.add(divergence(px, py).mul(weight)), nonNegative);
        px.close(); py.close();
        if (rx != px) { rx.close(); ry.close(); }
        return out;
    }

    private static NDArray project(NDArray x, boolean nonNegative) {
        return nonNegative ? x.maximum(0) : x;
    }
}
