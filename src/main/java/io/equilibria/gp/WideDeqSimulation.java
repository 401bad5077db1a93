package io.equilibria.gp;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.solvers.FixedPointSolver;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;

import java.util.SplittableRandom;

/**
 * Finite-width check of {@link DeqKernel}: draws random DEQs z = φ(Wz + Ux) of width n (W_ij ~ N(0, σ_w²/n),
 * U_ij ~ N(0, σ_u²/d)), solves each for all inputs at once with Anderson acceleration, and returns each network's
 * empirical pre-activation kernel (1/n) H Hᵀ, H = W z* + U x. Each fluctuates around K* with variance O(1/n).
 */
public final class WideDeqSimulation {
    private WideDeqSimulation() {}

    /** Empirical kernels [network][i][j] of {@code networks} random DEQs of width {@code width}. */
    public static double[][][] kernels(NDManager manager, Activation phi, double sigmaW, double sigmaU, double[][] x,
                                       int width, int networks, long seed) {
        int p = x.length, d = x[0].length;
        double[][][] out = new double[networks][p][p];
        SplittableRandom r = new SplittableRandom(seed);
        FixedPointSolver solver = Solvers.parse("anderson");
        float[] xf = new float[p * d];
        for (int i = 0; i < p; i++) for (int t = 0; t < d; t++) xf[i * d + t] = (float) x[i][t];
        for (int k = 0; k < networks; k++) {
            long s = r.nextLong();
            double[][] kernel = out[k];
            try (NDManager m = manager.newSubManager()) { // frees the n×n weights of each network
                Autograd.noGrad(() -> {
                    Compute.engine().setRandomSeed((int) s);
                    NDArray w = m.randomNormal(0, (float) (sigmaW / Math.sqrt(width)), new Shape(width, width), DataType.FLOAT32);
                    NDArray u = m.randomNormal(0, (float) (sigmaU / Math.sqrt(d)), new Shape(width, d), DataType.FLOAT32);
                    NDArray ux = Tensors.owned(m.create(xf, new Shape(p, d))).matMul(u.transpose());
                    NDArray wt = w.transpose();
                    Solution sol = solver.solve(z -> act(phi, z.matMul(wt).add(ux)), m.zeros(new Shape(p, width)),
                            SolverOptions.of(2000, 1e-6));
                    NDArray h = sol.z().matMul(wt).add(ux);
                    float[] kk = h.matMul(h.transpose()).div(width).toFloatArray();
                    for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) kernel[i][j] = kk[i * p + j];
                    return null;
                });
            }
        }
        return out;
    }

    private static NDArray act(Activation phi, NDArray v) {
        return switch (phi) {
            case RELU -> ai.djl.nn.Activation.relu(v);
            case TANH -> v.tanh();
            case ERF -> v.erf();
        };
    }
}
