package io.equilibria.reconstruct.classical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.equilibria.physics.LinearOperator;
import io.equilibria.solvers.IterationListener;
import io.equilibria.reconstruct.IterativeLoop;
import io.equilibria.reconstruct.Reconstructor;
import io.equilibria.reconstruct.Result;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FISTA (Beck &amp; Teboulle 2009) for ½||Ax − y||² + λ TV(x) with x ≥ 0: a gradient step of size 1/L
 * (L = 1.05·||A||², estimated by power iteration) then the TV prox (FGP), with Nesterov momentum. Starts from
 * Aᵀy clipped to ≥ 0 rescaled to the data's mean, or a given start.
 */
public final class FistaTv implements Reconstructor {
    private final double lambda;
    private final int iterations;
    private final int proxIterations;
    private final double tolerance;
    private final boolean nonNegative;

    /**
     * The default FISTA-TV for noise σ (floored at 1e-3): λ = max(1e-3, 0.2σ) for CS, tuned on the camera man at ratio
     * 0.25 (29.2 dB at λ 1e-3 vs 16.7 dB at 1e-4), 0.25σ for deblurring; 20 prox steps, tolerance 1e-5, non-negative.
     */
    public static FistaTv defaults(double noiseSigma, boolean compressedSensing, int iterations) {
        return new FistaTv(defaultLambda(noiseSigma, compressedSensing), iterations, 20, 1e-5, true);
    }

    /** The default weight of {@link #defaults}. */
    public static double defaultLambda(double noiseSigma, boolean compressedSensing) {
        double sigma = io.equilibria.physics.Noise.floored(noiseSigma);
        return compressedSensing ? Math.max(1e-3, 0.2 * sigma) : 0.25 * sigma;
    }

    public FistaTv(double lambda, int iterations, int proxIterations, double tolerance, boolean nonNegative) {
        if (!(lambda >= 0)) throw new IllegalArgumentException("lambda must be >= 0");
        this.lambda = lambda;
        this.iterations = iterations;
        this.proxIterations = proxIterations;
        this.tolerance = tolerance;
        this.nonNegative = nonNegative;
    }

    @Override
    public String name() { return "tv"; }

    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener) {
        double norm = a.normEstimate(y.getManager(), 30, 17);
        double lip = 1.05 * norm * norm;
        NDArray x0 = a.adjoint(y);
        if (nonNegative) {
            NDArray c = x0.maximum(0);
            x0.close();
            x0 = c;
        }
        final NDArray[] z = {x0.duplicate()};
        final double[] t = {1};
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("lambda", lambda);
        params.put("iterations", iterations);
        params.put("proxIterations", proxIterations);
        params.put("lipschitz", lip);
        params.put("nonNegative", nonNegative);
        Result r = IterativeLoop.run(name(), x0, iterations, tolerance, x -> {
            NDArray grad = a.adjoint(a.apply(z[0]).sub(y));
            NDArray xn = TotalVariation.prox(z[0].sub(grad.div(lip)), lambda / lip, proxIterations, nonNegative);
            double tn = (1 + Math.sqrt(1 + 4 * t[0] * t[0])) / 2;
            NDArray zn = xn.add(xn.sub(x).mul((t[0] - 1) / tn));
            NDScope.unregister(zn);
            z[0].close();
            z[0] = zn;
            t[0] = tn;
            return xn;
        }, listener, params);
        z[0].close();
        x0.close();
        return r;
    }
}
