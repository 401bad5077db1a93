package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import io.equilibria.compute.Scalars;
import io.equilibria.solvers.FixedPointSolver;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;
import io.equilibria.solvers.StopMode;

import java.util.Locale;

/**
 * How a DEQ layer turns ∂ℓ/∂z* = v into the cotangent g that is pushed through one application of T:
 * <ul>
 *   <li>{@code ift}: implicit differentiation, g solves g = Jᵀg + v (exact gradient), with any solver;</li>
 *   <li>{@code jfb}: Jacobian-free backprop, g = v (one step through T at z*; the phantom gradient with k = 1);</li>
 *   <li>{@code neumann:K}: g = Σ_{k&lt;K} (Jᵀ)^k v, the truncated Neumann series (K = 1 is JFB);</li>
 *   <li>{@code phantom:K[,λ]}: the phantom gradient (Geng et al. 2021) of K damped steps z ← (1−λ)z + λT(z) from the
 *       detached z*, g = λ Σ_{k&lt;K} ((1−λ)I + λJᵀ)^k v (λ = 1 is {@code neumann:K}). Back-propagating through K
 *       recorded steps gives the same g with the Jacobians taken at the iterates instead of at z* (equal at an exact
 *       fixed point).</li>
 * </ul>
 * The parameter gradient is then gᵀ ∂T/∂θ and the input gradient gᵀ ∂T/∂x.
 */
public interface GradientMode {
    String describe();

    /** The cotangent g for v = ∂ℓ/∂z*; the caller owns the result. */
    Adjoint cotangent(JacobianTranspose vjp, NDArray v);

    /** g with how it was obtained (backward iterations and residual; NaN residual when not a solve). */
    record Adjoint(NDArray g, int iterations, double residual, boolean converged) {}

    /** {@code ift}, {@code ift:SOLVER[:settings]}, {@code jfb}, {@code neumann:K}, {@code phantom:K[,λ]}. */
    static GradientMode parse(String spec, SolverOptions backwardOptions) {
        String s = spec.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("jfb") || lower.equals("phantom")) return new Neumann(1);
        if (lower.startsWith("phantom:")) {
            String[] p = lower.substring(8).split(",", 2);
            try {
                return new Neumann(Integer.parseInt(p[0].trim()), p.length > 1 ? Double.parseDouble(p[1].trim()) : 1);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("phantom:K[,lambda] needs a whole number of steps and a damping, got '" + s + "'");
            }
        }
        if (lower.startsWith("neumann")) {
            int k = 5;
            if (lower.startsWith("neumann:")) {
                try {
                    k = Integer.parseInt(lower.substring(8).trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("neumann:K needs a whole number of terms, got '" + s + "'");
                }
            } else if (!lower.equals("neumann")) {
                throw new IllegalArgumentException("unknown gradient mode '" + spec + "'");
            }
            return new Neumann(k);
        }
        if (lower.equals("ift")) return new Implicit(Solvers.parse("anderson"), backwardOptions);
        if (lower.startsWith("ift:")) return new Implicit(Solvers.parse(s.substring(4)), backwardOptions);
        throw new IllegalArgumentException("unknown gradient mode '" + spec + "' (use ift[:SOLVER], jfb, neumann:K, phantom:K[,lambda])");
    }

    /** TorchDEQ's backward defaults: relative tolerance 1e-6, at most 100 iterations. */
    static SolverOptions defaultBackwardOptions() {
        return SolverOptions.defaults().withMaxIterations(100).withTolerance(1e-6).withStopMode(StopMode.RELATIVE);
    }

    /** Implicit differentiation: solve g = Jᵀg + v with a fixed-point solver, warm-started at v. */
    record Implicit(FixedPointSolver solver, SolverOptions options) implements GradientMode {
        @Override public String describe() { return "ift(" + solver.describe() + ")"; }

        @Override
        public Adjoint cotangent(JacobianTranspose vjp, NDArray v) {
            Solution s = solver.solve(g -> vjp.apply(g).addi(v), v, options);
            return new Adjoint(s.z(), s.iterations(), s.residual(), s.converged());
        }
    }

    /**
     * Truncated Neumann series of the damped map z ↦ (1−λ)z + λT(z), scaled by λ: the phantom gradient of K damped
     * steps; λ = 1 is the plain series, and K = 1, λ = 1 is JFB.
     */
    record Neumann(int terms, double damping) implements GradientMode {
        public Neumann {
            if (terms < 1) throw new IllegalArgumentException("neumann needs at least 1 term, got " + terms);
            if (!(damping > 0 && damping <= 1)) throw new IllegalArgumentException("the damping must be in (0, 1], got " + damping);
        }

        public Neumann(int terms) { this(terms, 1); }

        @Override public String describe() {
            if (damping != 1) return "phantom(" + terms + ", lambda " + damping + ")";
            return terms == 1 ? "jfb" : "neumann(" + terms + ")";
        }

        @Override
        public Adjoint cotangent(JacobianTranspose vjp, NDArray v) {
            NDArray sum = v.duplicate();
            NDArray term = v;
            for (int k = 1; k < terms; k++) {
                NDArray next = vjp.apply(term);
                if (damping != 1) {
                    // (1−λ)u + λJᵀu, the constants on the array's manager (not Java numbers: see Scalars)
                    try (NDArray kept = Scalars.times(term, 1 - damping)) {
                        Scalars.timesInPlace(next, damping).addi(kept);
                    }
                }
                if (term != v) term.close();
                term = next;
                sum.addi(term);
            }
            if (term != v) term.close();
            if (damping != 1) Scalars.timesInPlace(sum, damping);
            return new Adjoint(sum, terms - 1, Double.NaN, true);
        }
    }
}
