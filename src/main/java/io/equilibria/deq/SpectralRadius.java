package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Tensors;

import java.util.Locale;
import java.util.Random;

/**
 * Estimates the spectral radius of J = ∂T/∂z at a fixed point by power iteration with vector–Jacobian products
 * (ρ(Jᵀ) = ρ(J)). Below 1 the map is locally contractive and the fixed point is stable. When the dominant
 * eigenvalues are a complex pair the per-step ratio oscillates; the estimate is then the geometric mean of the last
 * two ratios and {@code converged} is false if they still disagree.
 */
public final class SpectralRadius {
    private SpectralRadius() {}

    public record Estimate(double radius, int iterations, boolean converged) {
        public String summary() {
            return String.format(Locale.ROOT, "spectral radius of J at z*: %.4f (%s after %d power iterations)%s", radius,
                    converged ? "converged" : "not converged", iterations, radius < 1 ? ", contractive" : ", NOT contractive");
        }
    }

    public static Estimate estimate(DeqCell cell, NDArray z, NDArray x, int maxIterations, double tolerance, long seed) {
        return Autograd.recording(() -> {
            try (Vjp vjp = new Vjp(cell, z, x, false)) {
                NDArray v = Probes.gaussian(z, new Random(seed));
                v.divi(Tensors.norm(v));
                double previous = Double.NaN, last = Double.NaN;
                int k = 0;
                boolean converged = false;
                while (k < maxIterations) {
                    NDArray w;
                    double ratio;
                    try (NDScope scope = new NDScope()) {
                        w = vjp.apply(v);
                        ratio = Tensors.norm(w);
                        NDScope.unregister(w);
                    }
                    k++;
                    v.close();
                    if (!(ratio > 0) || !Double.isFinite(ratio)) {
                        w.close();
                        return new Estimate(ratio > 0 ? ratio : 0, k, ratio == 0);
                    }
                    v = w.divi(ratio);
                    previous = last;
                    last = ratio;
                    if (k > 2 && Math.abs(last - previous) <= tolerance * last) {
                        converged = true;
                        break;
                    }
                }
                v.close();
                double estimate = Double.isNaN(previous) ? last : Math.sqrt(last * previous);
                return new Estimate(estimate, k, converged);
            }
        });
    }
}
