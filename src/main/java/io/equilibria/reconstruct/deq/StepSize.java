package io.equilibria.reconstruct.deq;

import io.equilibria.priors.Denoiser;
import io.equilibria.reconstruct.deq.DataTerm;
import io.equilibria.reconstruct.deq.DeqMap;
import io.equilibria.reconstruct.deq.DeqScalars;

/**
 * A safe step for ODER's plain (Nesterov) iteration. A DEQ-RED model's learned γ is tuned for Anderson, which tolerates
 * γL well above 2; forward–backward iteration with momentum needs γ_eff ≤ 1/L, L = L_data + τ·Lip(R). Since RED's fixed
 * point ∇g + τR = 0 does not depend on the step, ODER uses γ_eff = κγ with κ = min(1, 1/(γL)): same fixed point,
 * stable iteration. L_data is the data term's curvature bound per problem (for a minibatch term, the largest over
 * draws: up to I/B times the full batch's with unbiased weights).
 */
public final class StepSize {
    private StepSize() {}

    /** RED's prior weight for a problem at noise level σ: τ·t(σ)·(the data term's prior scale). */
    public static double priorWeight(DeqScalars scalars, double sigma, DataTerm data) {
        return scalars.tauValue() * scalars.tauScale(sigma) * data.priorScale();
    }

    /** κ per problem for the noise levels {@code sigmas} the denoiser is given (see {@link DeqMap#priorSigma}). */
    public static double[] factors(DataTerm data, Denoiser denoiser, DeqScalars scalars, double[] sigmas) {
        double[] k = new double[sigmas.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = factor(data.curvature(i), denoiser.residualLipschitz(), scalars.gammaValue(), priorWeight(scalars, sigmas[i], data));
        }
        return k;
    }

    public static double factor(double dataCurvature, double residualLipschitz, double gamma, double priorWeight) {
        double l = dataCurvature + priorWeight * residualLipschitz;
        return Math.min(1.0, 1.0 / (gamma * l));
    }

    /** The largest noise level the DEQ models are trained at (train deq's default --sigma-max). */
    public static final double TRAINED_SIGMA_MAX = 0.05;

    /**
     * κ for Anderson on RED above the noise levels a model was trained at: the prior weight τ·(σ/σ_ref)^p keeps growing
     * with σ, and with the learned step γ the map stops converging (it diverged at σ ≈ 0.1 on 256² photographs). The
     * step is shortened so that γ·(L_data + w) stays at its value for σ = {@link #TRAINED_SIGMA_MAX}; the fixed point
     * ∇g + wR = 0 does not depend on it, and below that level nothing changes (κ = 1).
     */
    public static double trainedRangeFactor(DataTerm data, DeqScalars scalars, double sigma) {
        double w = priorWeight(scalars, sigma, data), wMax = priorWeight(scalars, TRAINED_SIGMA_MAX, data);
        if (w <= wMax) return 1;
        double l = data.curvature(0);
        return (l + wMax) / (l + w);
    }
}
