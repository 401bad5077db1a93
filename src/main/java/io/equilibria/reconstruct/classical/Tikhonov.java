package io.equilibria.reconstruct.classical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.equilibria.compute.Tensors;
import io.equilibria.physics.LinearOperator;
import io.equilibria.reconstruct.IterationListener;
import io.equilibria.reconstruct.NumericalException;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.Reconstructor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wiener / Tikhonov: argmin ½||Ax − y||² + ½λ||x||², i.e. (AᵀA + λI) x = Aᵀy, solved by conjugate gradients on
 * any operator. For a periodic convolution this is exactly the Wiener filter with a constant noise-to-signal ratio
 * λ; for the extended boundary it is the same filter without wrap-around artefacts. Also the CS starting point.
 */
public final class Tikhonov implements Reconstructor {
    private final double lambda;
    private final int maxIterations;
    private final double tolerance;

    public Tikhonov(double lambda, int maxIterations, double tolerance) {
        if (!(lambda >= 0)) throw new IllegalArgumentException("lambda must be >= 0");
        this.lambda = lambda;
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
    }

    @Override
    public String name() { return "wiener"; }

    public double lambda() { return lambda; }

    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener) {
        long t0 = System.nanoTime();
        NDArray b = a.adjoint(y);
        NDArray x = b.zerosLike();
        NDArray r = b.duplicate();
        NDArray p = r.duplicate();
        double rr = Tensors.dot(r, r), bb = Math.max(rr, 1e-30);
        List<Double> trace = new ArrayList<>();
        int k = 0;
        boolean cancelled = false;
        double rel = Math.sqrt(rr / bb);
        while (k < maxIterations && rel > tolerance) {
            NDArray nx, nr, np;
            try (NDScope s = new NDScope()) {
                NDArray ap = a.adjoint(a.apply(p)).add(p.mul(lambda));
                double pap = Tensors.dot(p, ap);
                if (!(pap > 0)) throw new NumericalException("wiener: CG lost positive definiteness at iteration " + (k + 1));
                double alpha = rr / pap;
                nx = x.add(p.mul(alpha));
                nr = r.sub(ap.mul(alpha));
                double rrNew = Tensors.dot(nr, nr);
                np = nr.add(p.mul(rrNew / rr));
                rr = rrNew;
                NDScope.unregister(nx, nr, np);
            }
            x.close(); r.close(); p.close();
            x = nx; r = nr; p = np;
            k++;
            rel = Math.sqrt(rr / bb);
            trace.add(rel);
            if (!Double.isFinite(rel)) throw new NumericalException("wiener: non-finite residual at iteration " + k);
            if (!listener.onIteration(k, maxIterations, x, rel)) {
                cancelled = true;
                break;
            }
        }
        r.close(); p.close(); b.close();
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("lambda", lambda);
        params.put("maxIterations", maxIterations);
        params.put("tolerance", tolerance);
        params.put("solver", "conjugate gradients on (A^T A + lambda I) x = A^T y");
        return new Result(x, name(), k, rel, trace, (System.nanoTime() - t0) / 1e9, cancelled, params);
    }
}
