package io.equilibria.reconstruct.oder;

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
}
