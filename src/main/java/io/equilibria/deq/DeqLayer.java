package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import io.equilibria.compute.Autograd;
import io.equilibria.solvers.FixedPointSolver;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.SolverOptions;

/**
 * A deep-equilibrium layer z* = T(z*; x, θ) for use inside DJL training.
 *
 * <p>Forward: the fixed point is found by a solver with graph recording off, so memory does not grow with the
 * number of iterations. Backward: given ∂ℓ/∂z*, the chosen {@link GradientMode} (IFT, JFB or Neumann) produces the
 * cotangent g; one backward pass through T at z* then adds gᵀ∂T/∂θ to the parameters' gradients (so a DJL
 * {@code Trainer.step()} or optimizer update applies them) and returns gᵀ∂T/∂x for the layers before it.
 * A typical training step, inside the trainer's gradient collector:
 * <pre>
 *   Equilibrium eq = layer.forward(x, null);
 *   NDArray zLeaf = Autograd.leaf(eq.z());            // head on top of z*
 *   NDArray loss = head(zLeaf);  collector.backward(loss);
 *   layer.backward(x, eq, zLeaf.getGradient(), false); trainer.step();
 * </pre>
 */
public final class DeqLayer {
    private final DeqCell cell;
    private final FixedPointSolver solver;
    private final SolverOptions forwardOptions;
    private final GradientMode gradient;

    public DeqLayer(DeqCell cell, FixedPointSolver solver, SolverOptions forwardOptions, GradientMode gradient) {
        this.cell = cell;
        this.solver = solver;
        this.forwardOptions = forwardOptions;
        this.gradient = gradient;
    }

    /**
     * A layer whose fixed point the model finds itself (a monotone splitting whose state is not z, e.g.
     * Peaceman–Rachford) and hands to {@link #backward} as an {@link Equilibrium}; {@link #forward} is not available.
     */
    public DeqLayer(DeqCell cell, GradientMode gradient) {
        this(cell, null, null, gradient);
    }

    public DeqCell cell() { return cell; }
    public FixedPointSolver solver() { return solver; }
    public SolverOptions forwardOptions() { return forwardOptions; }
    public GradientMode gradient() { return gradient; }

    /** Solves for z* from the warm start z0 (zeros shaped like x when z0 is null). */
    public Equilibrium forward(NDArray x, NDArray z0) {
        requireSolver();
        NDArray start = z0 != null ? z0 : x.zerosLike();
        try {
            Solution s = Autograd.noGrad(() -> solver.solve(z -> cell.apply(z, x), start, forwardOptions));
            return new Equilibrium(s.z(), s);
        } finally {
            if (start != z0) start.close();
        }
    }

    /** Forward with an explicit starting shape (the state need not have the input's shape). */
    public Equilibrium forward(NDArray x, NDArray z0, ai.djl.ndarray.types.Shape zShape) {
        if (z0 != null) return forward(x, z0);
        requireSolver();
        NDArray start = x.getManager().zeros(zShape, x.getDataType());
        try {
            Solution s = Autograd.noGrad(() -> solver.solve(z -> cell.apply(z, x), start, forwardOptions));
            return new Equilibrium(s.z(), s);
        } finally {
            start.close();
        }
    }

    private void requireSolver() {
        if (solver == null) throw new IllegalStateException("this layer's fixed point is found by its model, not by the layer");
    }

    /** The backward result: ∂ℓ/∂x (null unless asked for) and the backward solve's statistics. */
    public record Backward(NDArray inputGradient, int iterations, double residual, boolean converged, double seconds) {}

    /**
     * Accumulates the parameters' gradients for ∂ℓ/∂z* = {@code dLdz} and returns ∂ℓ/∂x when {@code wantInputGradient}.
     */
    public Backward backward(NDArray x, Equilibrium eq, NDArray dLdz, boolean wantInputGradient) {
        long t0 = System.nanoTime();
        return Autograd.recording(() -> {
            try (Vjp vjp = new Vjp(cell, eq.z(), x, wantInputGradient)) {
                GradientMode.Adjoint a = gradient.cotangent(vjp, dLdz);
                NDArray gx = vjp.pullBack(a.g());
                if (a.g() != dLdz) a.g().close();
                return new Backward(gx, a.iterations(), a.residual(), a.converged(), (System.nanoTime() - t0) / 1e9);
            }
        });
    }
}
