package io.equilibria.reconstruct.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.equilibria.deq.DeqCell;
import io.equilibria.physics.LinearOperator;
import io.equilibria.priors.Denoiser;

import java.util.ArrayList;
import java.util.List;

/**
 * The DEQ reconstruction map T for a batch of N problems sharing an image size: the state z is (N, 1, H, W); problem
 * i has its own operator A_i (domain (H, W)) and measurements y_i, so a training batch can mix PSFs and CS ratios.
 * The data-term gradients are computed per problem, the denoiser runs on the whole batch at once.
 */
public final class DeqMap {
    private DeqMap() {}

    /**
     * @param sigma noise level per problem, shape (N), in normalised units; the denoiser sees σ_D = s · σ
     */
    public static DeqCell cell(DeqForm form, List<LinearOperator> ops, List<NDArray> ys, Denoiser denoiser,
                               DeqScalars scalars, NDArray sigma) {
        if (ops.size() != ys.size()) throw new IllegalArgumentException(ops.size() + " operators but " + ys.size() + " measurements");
        NDArray tauScale = scalars.tauScale(sigma).reshape(-1, 1, 1, 1);
        return (z, unused) -> {
            NDArray gamma = scalars.gamma();
            NDArray sd = sigma.mul(scalars.sigmaScale());
            NDArray grad = dataGradient(ops, ys, z);
            NDArray out;
            if (form == DeqForm.RED) {
                NDArray residual = z.sub(denoiser.denoise(z, sd));
                out = z.sub(grad.add(residual.mul(scalars.tau().mul(tauScale))).mul(gamma));
            } else {
                out = denoiser.denoise(z.sub(grad.mul(gamma)), sd);
            }
            return ai.djl.nn.Activation.relu(out); // P₊ as relu: no Java-number operand on the autograd path
        };
    }

    /** Aᵢᵀ(Aᵢ zᵢ − yᵢ) for every problem, stacked as (N, 1, H, W). */
    public static NDArray dataGradient(List<LinearOperator> ops, List<NDArray> ys, NDArray z) {
        Shape s = z.getShape();
        Shape image = new Shape(s.get(2), s.get(3));
        NDList parts = new NDList();
        for (int i = 0; i < ops.size(); i++) {
            NDArray zi = z.get(i).reshape(ops.get(i).domainShape());
            parts.add(ops.get(i).adjoint(ops.get(i).apply(zi).sub(ys.get(i))).reshape(image));
        }
        return NDArrays.stack(parts).expandDims(1);
    }

    /** Stacks per-problem images (H, W) into the state layout (N, 1, H, W). */
    public static NDArray batch(List<NDArray> images) {
        return NDArrays.stack(new NDList(new ArrayList<>(images))).expandDims(1);
    }
}
