package io.equilibria.reconstruct.oder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.priors.Denoiser;
import io.equilibria.reconstruct.deq.DataTerm;

/**
 * A safe step for ODER's plain (Nesterov) iteration. A DEQ-RED model's learned γ is tuned for Anderson, which tolerates
 * γL well above 2; forward–backward iteration with momentum needs γ_eff ≤ 1/L, L = L_data + τ·Lip(R). Since RED's fixed
 * point ∇g + τR = 0 does not depend on the step, ODER uses γ_eff = κγ with κ = min(1, 1/(γL)): same fixed point,
 * stable iteration. L_data is the data term's curvature bound per problem (for a minibatch term, the largest over
 * draws: up to I/B times the full batch's with unbiased weights).
 */
public final class StepSize {
    private StepSize() {}

    /** κ per problem, shape (N), on {@code m}; {@code priorWeights[i]} is τ·t(σ_i)·c, the RED weight actually used. */
    public static NDArray factors(NDManager m, DataTerm data, Denoiser denoiser, double gamma, double[] priorWeights) {
        float[] k = new float[priorWeights.length];
        for (int i = 0; i < k.length; i++) k[i] = (float) factor(data.curvature(i), denoiser.residualLipschitz(), gamma, priorWeights[i]);
        return m.create(k);
    }

    public static double factor(double dataCurvature, double residualLipschitz, double gamma, double priorWeight) {
        double l = dataCurvature + priorWeight * residualLipschitz;
        return Math.min(1.0, 1.0 / (gamma * l));
    }
}
