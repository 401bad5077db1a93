package io.equilibria.experiment;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.deq.DeqCell;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.Equilibrium;
import io.equilibria.deq.GradientMode;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;

import java.util.Random;
import java.util.function.Consumer;

/**
 * Full-batch gradient descent on a DEQ z = φ(W z + U x) trained on (x, t) pairs with the mean squared error, the
 * setting of Dandapanthula &amp; Ramdas ("Gradient flow for deep equilibrium single-index models"). φ = identity is
 * the linear DEQ, φ = tanh the single-index DEQ when z and x are scalars. Each step solves the fixed point with
 * Anderson to a 1e-12 relative residual (the backward to 1e-10) in float64 and differentiates it implicitly (IFT with Anderson), i.e. with
 * the same engine as every other DEQ in the project, and records the quantities of the paper's conservation law
 * Q = M Mᵀ + U Uᵀ with M = I − W: for the linear DEQ gradient descent changes it by exactly η²(G_W G_Wᵀ + G_U G_Uᵀ).
 */
public final class GradientFlowStudy {
    public enum Activation { IDENTITY, TANH }

    /** One gradient step's record. Matrices are in float64 on the host. */
    public record Step(int epoch, double loss, RealMatrix w, RealMatrix u, RealMatrix q, RealMatrix gw, RealMatrix gu,
                       int forwardIterations, int backwardIterations) {}

    private final Activation activation;
    private final RealMatrix x, t; // rows are samples
    private final NDManager manager;
    private final SolverOptions forward = SolverOptions.of(1000, 1e-12);
    private final SolverOptions backward = SolverOptions.of(1000, 1e-10);
    private RealMatrix w, u;

    public GradientFlowStudy(NDManager manager, Activation activation, RealMatrix x, RealMatrix t, RealMatrix w0, RealMatrix u0) {
        this.manager = manager;
        this.activation = activation;
        this.x = x;
        this.t = t;
        this.w = w0.copy();
        this.u = u0.copy();
    }

    public RealMatrix w() { return w; }
    public RealMatrix u() { return u; }

    public static RealMatrix q(RealMatrix w, RealMatrix u) {
        RealMatrix m = MatrixUtils.createRealIdentityMatrix(w.getRowDimension()).subtract(w);
        return m.multiply(m.transpose()).add(u.multiply(u.transpose()));
    }

    /** Runs {@code epochs} steps of size eta, calling {@code each} with the state before each step and its gradients. */
    public void train(int epochs, double eta, Consumer<Step> each) {
        for (int e = 0; e < epochs; e++) {
            Step s = gradient(e);
            each.accept(s);
            w = w.subtract(s.gw().scalarMultiply(eta));
            u = u.subtract(s.gu().scalarMultiply(eta));
        }
    }

    /** Loss and exact implicit gradients at the current parameters. */
    public Step gradient(int epoch) {
        try (NDManager m = manager.newSubManager()) {
            NDArray wn = nd(m, w), un = nd(m, u), xn = nd(m, x), tn = nd(m, t);
            wn.setRequiresGradient(true);
            un.setRequiresGradient(true);
            DeqCell cell = (z, xx) -> {
                NDArray pre = z.matMul(wn.transpose()).add(xx.matMul(un.transpose()));
                return activation == Activation.TANH ? pre.tanh() : pre;
            };
            DeqLayer layer = new DeqLayer(cell, Solvers.parse("anderson:m=6,lambda=1e-12"), forward,
                    new GradientMode.Implicit(Solvers.parse("anderson:m=6,lambda=1e-12"), backward));
            try (Equilibrium eq = layer.forward(xn, null, new Shape(x.getRowDimension(), w.getRowDimension()))) {
                Solution f = eq.forward().requireConverged();
                int n = x.getRowDimension();
                NDArray diff = eq.z().sub(tn);
                double loss = diff.square().sum().getDouble() / n;
                DeqLayer.Backward b = layer.backward(xn, eq, diff.mul(2.0 / n), false);
                if (!b.converged()) {
                    throw new io.equilibria.errors.NumericalException("the backward solve did not converge (residual "
                            + b.residual() + ")");
                }
                return new Step(epoch, loss, w.copy(), u.copy(), q(w, u), mat(wn.getGradient()), mat(un.getGradient()),
                        f.iterations(), b.iterations());
            }
        }
    }

    /** The end-to-end linear map (I − W)⁻¹ U of a linear DEQ. */
    public static RealMatrix endToEnd(RealMatrix w, RealMatrix u) {
        RealMatrix m = MatrixUtils.createRealIdentityMatrix(w.getRowDimension()).subtract(w);
        return new LUDecomposition(m).getSolver().solve(u);
    }

    static NDArray nd(NDManager m, RealMatrix a) {
        int r = a.getRowDimension(), c = a.getColumnDimension();
        double[] flat = new double[r * c];
        for (int i = 0; i < r; i++) System.arraycopy(a.getRow(i), 0, flat, i * c, c);
        return Tensors.owned(m.create(flat, new Shape(r, c)));
    }

    static RealMatrix mat(NDArray a) {
        long[] s = a.getShape().getShape();
        double[] v = a.toDoubleArray();
        double[][] out = new double[(int) s[0]][(int) s[1]];
        for (int i = 0; i < s[0]; i++) System.arraycopy(v, (int) (i * s[1]), out[i], 0, (int) s[1]);
        return new Array2DRowRealMatrix(out, false);
    }

    static RealMatrix gaussian(Random r, int rows, int cols, double scale) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) for (int j = 0; j < cols; j++) row[j] = scale * r.nextGaussian();
        return new Array2DRowRealMatrix(a, false);
    }

    static double maxAbs(RealMatrix a) {
        double m = 0;
        for (double[] row : a.getData()) for (double v : row) m = Math.max(m, Math.abs(v));
        return m;
    }
}
