package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The Jacobian-norm regulariser of Bai et al. (2021): Hutchinson's estimate ‖J‖_F² ≈ mean_s ‖ε_sᵀ J‖² with Gaussian
 * probes ε_s, J = ∂T/∂z at z*. Penalising it during training keeps the DEQ map well conditioned (fewer solver
 * iterations, more stable fixed points).
 */
public final class JacobianRegularizer {
    private JacobianRegularizer() {}

    /** The estimate alone, without touching any gradient. */
    public static double estimate(DeqCell cell, NDArray z, NDArray x, int samples, long seed) {
        Random r = new Random(seed);
        return Autograd.recording(() -> {
            try (Vjp vjp = new Vjp(cell, z, x, false)) {
                double sum = 0;
                for (int s = 0; s < samples; s++) {
                    try (NDArray e = Probes.gaussian(z, r); NDArray g = vjp.apply(e)) {
                        sum += g.toType(DataType.FLOAT64, false).square().sum().getDouble();
                    }
                }
                return sum / samples;
            }
        });
    }

    /** Adds ∇θ (weight · estimate) to the parameters' gradients with {@code samples} seeded probes; returns the estimate. */
    public static double penalize(DeqCell cell, NDArray z, NDArray x, double weight, int samples, long seed) {
        Random r = new Random(seed);
        List<NDArray> probes = new ArrayList<>();
        for (int s = 0; s < samples; s++) probes.add(Probes.gaussian(z, r));
        try {
            return penalize(cell, z, x, weight, probes);
        } finally {
            probes.forEach(NDArray::close);
        }
    }

    /**
     * As above with the caller's probes. Each probe gets its own recorded T so its double-backward graph is separate;
     * the first-order gradients the probes' backward passes leave in θ are cancelled by linearity afterwards.
     */
    public static double penalize(DeqCell cell, NDArray z, NDArray x, double weight, List<NDArray> probes) {
        return Autograd.recording(() -> {
            List<NDArray> outputs = new ArrayList<>(), leaves = new ArrayList<>();
            NDArray total = null;
            try {
                for (NDArray e : probes) {
                    NDArray leaf = Autograd.leaf(z);
                    NDArray y = cell.apply(leaf, x);
                    leaves.add(leaf);
                    outputs.add(y);
                    Autograd.backward(y, e, true, true);   // leaf.grad = εᵀJ, differentiable in θ
                    NDArray sq = leaf.getGradient().square().sum();
                    total = total == null ? sq : total.add(sq);
                }
                NDArray loss = total.mul(io.equilibria.compute.Scalars.constant(total, weight / probes.size()));
                double value = total.toType(DataType.FLOAT64, false).getDouble() / probes.size();
                Autograd.backward(loss, loss.getManager().ones(new Shape(), loss.getDataType()), true, false);
                for (int i = 0; i < probes.size(); i++) {
                    try (NDArray neg = probes.get(i).neg()) {
                        Autograd.backward(outputs.get(i), neg, true, false);
                    }
                }
                return value;
            } finally {
                outputs.forEach(NDArray::close);
                leaves.forEach(NDArray::close);
            }
        });
    }
}
