package io.equilibria.reconstruct.deq;

import io.equilibria.compute.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.equilibria.deq.DeqCell;
import io.equilibria.physics.LinearOperator;
import io.equilibria.priors.Denoiser;
import io.equilibria.priors.OrthogonalDenoiser;

import java.util.ArrayList;
import java.util.List;

/**
 * The DEQ reconstruction map T for a batch of N problems sharing an image size: the state z is (N, 1, H, W) for
 * images and (N, 1, Z, H, W) for volumes; problem i has its own operator A_i (domain (H, W) or (Z, H, W)) and
 * measurements y_i, so a training batch can mix PSFs and CS ratios. The data-term gradients are computed per problem,
 * the denoiser runs on the whole batch at once. This is the one place that decides how a 2D denoiser sees a volume:
 * every map is built with {@link OrthogonalDenoiser#of}, which passes images through and applies the denoiser to the
 * xy, xz and yz planes of a volume (training and inference share it).
 */
public final class DeqMap {
    private DeqMap() {}

    /** The full-batch map for problem operators {@code ops} and measurements {@code ys}. */
    public static DeqCell cell(DeqForm form, List<LinearOperator> ops, List<NDArray> ys, Denoiser denoiser,
                               DeqScalars scalars, NDArray sigma) {
        return cell(form, DataTerm.full(ops, ys), denoiser, scalars, sigma);
    }

    /**
     * RED: T(z) = P₊(z − γ(∇g(z) + c·τ·t(σ)·R(z))) with R = I − D and c the data term's prior scale; PnP:
     * T(z) = P₊(D(z − γ∇g(z))). ∇g comes from {@code data} (exact, or an ODER minibatch estimate).
     *
     * @param sigma noise level per problem, shape (N), in normalised units; the denoiser sees σ_D = s · σ
     */
    public static DeqCell cell(DeqForm form, DataTerm data, Denoiser denoiser, DeqScalars scalars, NDArray sigma) {
        return cell(form, data, denoiser, scalars, sigma, null);
    }

    /**
     * As above with RED's step γ multiplied by a constant κ per problem ({@code stepFactor}, shape (N), null for 1):
     * RED's fixed point (∇g + τR = 0) does not depend on the step, so ODER may shorten it for stability.
     */
    public static DeqCell cell(DeqForm form, DataTerm data, Denoiser denoiser, DeqScalars scalars, NDArray sigma,
                               NDArray stepFactor) {
        DeqCell p = split(form, data, denoiser, scalars, sigma, stepFactor);
        return (z, unused) -> p.apply(z, data.gradient(z));
    }

    /**
     * The map with the data gradient {@code d} given as a separate input: T(z) = P(z, d(z)). ODER's backward records
     * this once at z* and adds the linear data part's Jacobian (AᵀA, from a fresh minibatch) per product.
     */
    public static DeqCell split(DeqForm form, DataTerm data, Denoiser denoiser, DeqScalars scalars, NDArray sigma,
                                NDArray stepFactor) {
        NDArray tauScale = scalars.tauScale(sigma);
        NDArray weight = data.priorScale() == 1 ? tauScale : Scalars.times(tauScale, data.priorScale());
        Denoiser d3 = OrthogonalDenoiser.of(denoiser);
        return (z, d) -> {
            Shape perProblem = perProblemShape(z);
            return splitApply(form, z, d, d3, scalars, sigma, weight.reshape(perProblem),
                    stepFactor == null ? null : stepFactor.reshape(perProblem));
        };
    }

    /** (N, 1, 1, 1) for an image state, (N, 1, 1, 1, 1) for a volume: one value per problem, broadcast over its voxels. */
    private static Shape perProblemShape(NDArray z) {
        long[] s = new long[z.getShape().dimension()];
        java.util.Arrays.fill(s, 1);
        s[0] = -1;
        return new Shape(s);
    }

    private static NDArray splitApply(DeqForm form, NDArray z, NDArray grad, Denoiser denoiser, DeqScalars scalars,
                                      NDArray sigma, NDArray tauScale, NDArray step) {
        NDArray gamma = step == null ? scalars.gamma() : scalars.gamma().mul(step);
        NDArray sd = sigma.mul(scalars.sigmaScale());
        NDArray out;
        if (form == DeqForm.RED) {
            NDArray residual = z.sub(denoiser.denoise(z, sd));
            out = z.sub(grad.add(residual.mul(scalars.tau().mul(tauScale))).mul(gamma));
        } else {
            out = denoiser.denoise(z.sub(grad.mul(gamma)), sd);
        }
        return ai.djl.nn.Activation.relu(out); // P₊ as relu: no Java-number operand on the autograd path
    }

    /**
     * The noise level the prior sees for measurements with per-observation noise σ on operator {@code a}: the data
     * term's own noise, σ√c (c = 1/K for K frames averages it down), at least 1e-3. Inference and training share it.
     */
    public static double priorSigma(double noiseSigma, LinearOperator a) {
        return priorSigma(noiseSigma, a, 0);
    }

    /** With the model's null-space level ν (see {@link DeqScalars#withNullSpaceSigma}): √((σ√c)² + (ν f)²), ≥ 1e-3. */
    public static double priorSigma(double noiseSigma, LinearOperator a, double nullSpaceSigma) {
        double s = noiseSigma * Math.sqrt(a.dataScale()), n = nullSpaceSigma * a.nullSpaceFraction();
        return io.equilibria.physics.Noise.floored(Math.sqrt(s * s + n * n));
    }

    /** Applies {@code f} to every problem i of a (N, 1, ...) state; results (domain shape) stacked back as (N, 1, ...). */
    public static NDArray perProblem(NDArray z, java.util.function.IntFunction<NDArray> f) {
        Shape s = z.getShape();
        Shape image = s.slice(2);
        NDList parts = new NDList();
        for (int i = 0; i < s.get(0); i++) parts.add(f.apply(i).reshape(image));
        return NDArrays.stack(parts).expandDims(1);
    }

    /** Stacks per-problem images (H, W) or volumes (Z, H, W) into the state layout (N, 1, H, W) or (N, 1, Z, H, W). */
    public static NDArray batch(List<NDArray> images) {
        return NDArrays.stack(new NDList(new ArrayList<>(images))).expandDims(1);
    }
}
