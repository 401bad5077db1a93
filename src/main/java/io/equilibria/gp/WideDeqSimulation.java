package io.equilibria.gp;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Autograd;
import io.equilibria.solvers.FixedPointSolver;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;

import java.util.SplittableRandom;

/**
 * Finite-width check of {@link DeqKernel}: draws random DEQs z = φ(Wz + Ux) of width n (W_ij ~ N(0, σ_w²/n),
 * U_ij ~ N(0, σ_u²/d)), solves each for all inputs at once with Anderson acceleration, and averages the empirical
 * pre-activation kernel (1/n) H Hᵀ, H = W z* + U x, over the networks. Its distance to K* should fall as the width grows.
 */
public final class WideDeqSimulation {
    private WideDeqSimulation() {}

    /** Mean empirical kernel over {@code networks} random DEQs of width {@code width}. */
    public static double[][] empiricalKernel(NDManager manager, Activation phi, double sigmaW, double sigmaU, double[][] x,
                                             int width, int networks, long seed) {
        int p = x.length, d = x[0].length;
        double[][] sum = new double[p][p];
        SplittableRandom r = new SplittableRandom(seed);
        FixedPointSolver solver = Solvers.parse("anderson");
        float[] xf = new float[p * d];
        for (int i = 0; i < p; i++) for (int t = 0; t < d; t++) xf[i * d + t] = (float) x[i][t];
        for (int k = 0; k < networks; k++) {
            long s = r.nextLong();
            try (NDManager m = manager.newSubManager()) {
                Autograd.noGrad(() -> {
                    io.equilibria.compute.Compute.engine().setRandomSeed((int) s);
                    NDArray w = m.randomNormal(0, (float) (sigmaW / Math.sqrt(width)), new Shape(width, width), ai.djl.ndarray.types.DataType.FLOAT32);
                    NDArray u = m.randomNormal(0, (float) (sigmaU / Math.sqrt(d)), new Shape(width, d), ai.djl.ndarray.types.DataType.FLOAT32);
                    NDArray ux = m.create(xf, new Shape(p, d)).matMul(u.transpose());
                    NDArray wt = w.transpose();
                    Solution sol = solver.solve(z -> act(phi, z.matMul(wt).add(ux)), m.zeros(new Shape(p, width)),
                            SolverOptions.of(2000, 1e-6));
                    NDArray h = sol.z().matMul(wt).add(ux);
                    float[] kk = h.matMul(h.transpose()).div(width).toFloatArray();
                    for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) sum[i][j] += kk[i * p + j];
                    return null;
                });
            }
        }
        for (double[] row : sum) for (int j = 0; j < p; j++) row[j] /= networks;
        return sum;
    }

    private static NDArray act(Activation phi, NDArray v) {
        return switch (phi) {
            case RELU -> ai.djl.nn.Activation.relu(v);
            case TANH -> v.tanh();
            case ERF -> v.erf();
        };
    }

    /** Largest entrywise |K̂ − K*| relative to the largest |K*|. */
    public static double relativeError(double[][] empirical, double[][] exact) {
        double err = 0, scale = 0;
        for (int i = 0; i < exact.length; i++) {
            for (int j = 0; j < exact.length; j++) {
                err = Math.max(err, Math.abs(empirical[i][j] - exact[i][j]));
                scale = Math.max(scale, Math.abs(exact[i][j]));
            }
        }
        return err / scale;
    }
}
