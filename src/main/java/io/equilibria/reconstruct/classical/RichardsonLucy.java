package io.equilibria.reconstruct.classical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.equilibria.compute.Tensors;
import io.equilibria.physics.LinearOperator;
import io.equilibria.solvers.IterationListener;
import io.equilibria.reconstruct.IterativeLoop;
import io.equilibria.reconstruct.Reconstructor;
import io.equilibria.reconstruct.Result;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Richardson–Lucy, x ← x · Aᵀ(y / Ax) / Aᵀ1, for any non-negative operator, optionally with Dey et al.'s total
 * variation term (denominator Aᵀ1 − λ div(∇x/|∇x|)). Dividing by Aᵀ1 (not 1) makes it correct for the extended
 * and zero boundaries and for multi-frame data, where Aᵀ1 is not constant. Non-negative by construction; data
 * below zero (noise) are clipped to zero, as RL's Poisson model requires. Starts from a flat image at the data's
 * mean, so flux is preserved from the first iteration.
 */
public final class RichardsonLucy implements Reconstructor {
    private static final float EPS = 1e-12f;
    private final int iterations;
    private final double tvWeight;

    public RichardsonLucy(int iterations, double tvWeight) {
        if (iterations < 1) throw new IllegalArgumentException("iterations must be >= 1");
        if (tvWeight < 0) throw new IllegalArgumentException("TV weight must be >= 0");
        this.iterations = iterations;
        this.tvWeight = tvWeight;
    }

    @Override
    public String name() { return tvWeight > 0 ? "rltv" : "rl"; }

    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener) {
        NDArray data = y.maximum(0);
        // Aᵀ1 is tiny at the far edge of an extended domain, where FFT round-off (~1e-7 of the peak) would dominate
        // the update; floor it at 1e-4 of its maximum so those unconstrained pixels decay instead of blowing up.
        NDArray weights = a.adjoint(y.onesLike());
        NDArray norm = weights.maximum(weights.max().mul(1e-4f).maximum(EPS));
        weights.close();
        double mean = Tensors.sum(data) / data.getShape().size();
        NDArray x0 = data.getManager().full(a.domainShape(), (float) Math.max(mean, EPS), data.getDataType());
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("iterations", iterations);
        if (tvWeight > 0) params.put("tvWeight", tvWeight);
        Result r = IterativeLoop.run(name(), x0, iterations, 0, x -> {
            NDArray ratio = data.div(a.apply(x).maximum(EPS));
            NDArray back = a.adjoint(ratio).maximum(0); // exact arithmetic keeps it >= 0; round-off need not
            NDArray denom = norm;
            if (tvWeight > 0) {
                NDList g = TotalVariation.gradient(x);
                NDArray mag = TotalVariation.magnitude(g, 1e-8f);
                NDList unit = new NDList();
                for (NDArray gi : g) unit.add(gi.div(mag));
                NDArray div = TotalVariation.divergence(unit);
                // Dey et al.: Aᵀ1 − λ div(∇x/|∇x|). The TV term is scaled by Aᵀ1 so that it fades where the data
                // do not constrain x (the extended border), and the factor is kept >= 0.5 so no pixel can grow
                // without bound in one step (the known instability of RL-TV for large λ).
                denom = norm.mul(div.mul(-tvWeight).add(1).maximum(0.5));
            }
            return x.mul(back).div(denom);
        }, listener, params);
        x0.close();
        data.close();
        norm.close();
        return r;
    }
}
