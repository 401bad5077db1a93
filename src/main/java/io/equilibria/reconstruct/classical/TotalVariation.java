package io.equilibria.reconstruct.classical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Discrete isotropic total variation on 2D (Y, X) and 3D (Z, Y, X) tensors: forward differences with Neumann
 * boundary, the divergence that is minus its exact adjoint, and the TV proximal operator with a non-negativity
 * constraint by Beck &amp; Teboulle's fast gradient projection (FGP) on the dual: x(p) = P(v + w·div p),
 * p ← P_{|p|≤1}(p + ∇x/(4·n·w)) for n axes (4n bounds ‖∇‖²). Components are ordered x, y(, z): last axis first.
 */
public final class TotalVariation {
    private TotalVariation() {}

    /** Forward differences along each axis, last axis first (dx, dy[, dz]), with the last difference set to zero. */
    public static NDList gradient(NDArray x) {
        int n = x.getShape().dimension();
        NDList out = new NDList();
        for (int axis = n - 1; axis >= 0; axis--) out.add(differenceAlong(x, axis));
        return out;
    }

    private static NDArray differenceAlong(NDArray x, int axis) {
        String pre = ":, ".repeat(axis);
        NDArray diff = x.get(new NDIndex(pre + "1:")).sub(x.get(new NDIndex(pre + ":-1")));
        return NDArrays.concat(new NDList(diff, x.getManager().zeros(edge(x, axis), x.getDataType())), axis);
    }

    private static Shape edge(NDArray x, int axis) {
        long[] s = x.getShape().getShape().clone();
        s[axis] = 1;
        return new Shape(s);
    }

    /** div = -gradient^T: for every p, &lt;gradient x, p&gt; = -&lt;x, div p&gt;. Components as {@link #gradient} returns them. */
    public static NDArray divergence(NDArray... p) {
        int n = p[0].getShape().dimension();
        NDArray sum = null;
        for (int i = 0; i < p.length; i++) {
            NDArray d = divergenceAlong(p[i], n - 1 - i);
            sum = sum == null ? d : sum.add(d);
        }
        return sum;
    }

    // (div p)_j = p_j - p_{j-1} with p_{-1} = 0 and p_{last} treated as 0
    private static NDArray divergenceAlong(NDArray p, int axis) {
        String pre = ":, ".repeat(axis);
        NDArray z = p.getManager().zeros(edge(p, axis), p.getDataType());
        NDArray inner = p.get(new NDIndex(pre + ":-1"));
        return NDArrays.concat(new NDList(inner, z), axis).sub(NDArrays.concat(new NDList(z, inner), axis));
    }

    /** The divergence of a gradient list. */
    public static NDArray divergence(NDList p) {
        return divergence(p.toArray(new NDArray[0]));
    }

    /** |g| = sqrt(Σ g_i² + eps) of a gradient list (eps 0 for the plain magnitude). */
    public static NDArray magnitude(NDList g, float eps) {
        NDArray s = g.get(0).square();
        for (int i = 1; i < g.size(); i++) s = s.add(g.get(i).square());
        return eps > 0 ? s.add(eps).sqrt() : s.sqrt();
    }

    /** Isotropic TV value sum sqrt(Σ d_i²). */
    public static double value(NDArray x) {
        try (NDScope s = new NDScope()) {
            return magnitude(gradient(x), 0).sum().getFloat();
        }
    }

    /**
     * prox of {@code weight * TV + indicator(x >= 0)} at {@code v}: argmin_x ½||x - v||² + weight TV(x), x >= 0,
     * by FGP with {@code iterations} dual steps (step 1/(4n), the bound on ||grad||² for n axes).
     */
    public static NDArray prox(NDArray v, double weight, int iterations, boolean nonNegative) {
        if (weight <= 0) return nonNegative ? v.maximum(0) : v.duplicate();
        int n = v.getShape().dimension();
        NDArray[] p = new NDArray[n], r = new NDArray[n];
        for (int i = 0; i < n; i++) {
            p[i] = v.zerosLike();
            r[i] = p[i];
        }
        double t = 1;
        for (int k = 0; k < iterations; k++) {
            NDArray[] np = new NDArray[n], nr = new NDArray[n];
            try (NDScope s = new NDScope()) {
                NDArray x = project(v.add(divergence(r).mul(weight)), nonNegative);
                NDList g = gradient(x);
                NDList q = new NDList();
                for (int i = 0; i < n; i++) q.add(r[i].add(g.get(i).mul(1.0 / (4 * n * weight))));
                NDArray norm = magnitude(q, 0).maximum(1);
                double tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
                double c = (t - 1) / tn;
                for (int i = 0; i < n; i++) {
                    np[i] = q.get(i).div(norm);
                    nr[i] = np[i].add(np[i].sub(p[i]).mul(c));
                }
                t = tn;
                NDScope.unregister(np);
                NDScope.unregister(nr);
            }
            for (int i = 0; i < n; i++) {
                if (r[i] != p[i]) r[i].close();
                p[i].close();
            }
            p = np;
            r = nr;
        }
        NDArray out = project(v.add(divergence(p).mul(weight)), nonNegative);
        for (int i = 0; i < n; i++) {
            if (r[i] != p[i]) r[i].close();
            p[i].close();
        }
        return out;
    }

    private static NDArray project(NDArray x, boolean nonNegative) {
        return nonNegative ? x.maximum(0) : x;
    }
}
