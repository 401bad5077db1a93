package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import io.equilibria.TestSupport;
import io.equilibria.physics.LinearOperator;
import io.equilibria.priors.Denoiser;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.deq.DeqScalars;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** End-to-end DEQ training gradients (IFT through the fixed point) against finite differences, float64. */
class DeqTrainingGradientTest {
    /** A tiny residual CNN denoiser, D(x, σ) = x − 0.3·c₂(tanh(c₁([x, σ]))), in float64. */
    static final class TinyDenoiser implements Denoiser {
        final SequentialBlock net = new SequentialBlock();
        final ParameterStore ps;

        TinyDenoiser(NDManager m) {
            net.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(4).build());
            net.add(a -> new NDList(a.singletonOrThrow().tanh()));
            net.add(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1)).setFilters(1).build());
            ai.djl.engine.Engine.getInstance().setRandomSeed(5);
            net.initialize(m, DataType.FLOAT64, new Shape(2, 2, 8, 8));
            ps = new ParameterStore(m, false);
        }

        @Override
        public NDArray denoise(NDArray x, NDArray sigma) {
            Shape s = x.getShape();
            NDArray map = sigma.reshape(s.get(0), 1, 1, 1).broadcast(s);
            NDArray in = NDArrays.concat(new NDList(x, map), 1);
            NDArray r = net.forward(ps, new NDList(in), false).singletonOrThrow();
            return x.sub(r.mul(io.equilibria.compute.Scalars.constant(r, 0.3)));
        }

        @Override public String describe() { return "tiny"; }
        @Override public long parameterCount() { return 0; }
        @Override public double flopsPerPixel() { return 0; }
    }

    /** A diagonal operator y = w ⊙ x (an attenuation mask), float64. */
    static LinearOperator mask(NDArray w) {
        return new LinearOperator() {
            @Override public Shape domainShape() { return w.getShape(); }
            @Override public Shape rangeShape() { return w.getShape(); }
            @Override public NDArray apply(NDArray x) { return x.mul(w); }
            @Override public NDArray adjoint(NDArray y) { return y.mul(w); }
            @Override public Map<String, Object> spec() { return Map.of("kind", "mask"); }
        };
    }

    private static List<ReconstructionProblem> problems(NDManager m) {
        Random r = new Random(9);
        List<ReconstructionProblem> out = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            double[] gt = new double[64], w = new double[64], y = new double[64];
            for (int k = 0; k < 64; k++) {
                gt[k] = 0.2 + 0.6 * r.nextDouble();
                w[k] = 0.3 + 0.7 * r.nextDouble();
                y[k] = w[k] * gt[k] + 0.05 * r.nextGaussian();
            }
            NDArray wn = m.create(w, new Shape(8, 8));
            out.add(new ReconstructionProblem(m.create(gt, new Shape(8, 8)), mask(wn), m.create(y, new Shape(8, 8)), 0.05, "mask", false));
        }
        return out;
    }

    @Test
    void implicitTrainingGradientsMatchFiniteDifferences() {
        for (DeqForm form : DeqForm.values()) {
            try (NDManager m = TestSupport.manager().newSubManager()) {
                TinyDenoiser d = new TinyDenoiser(m);
                DeqScalars scalars = new DeqScalars(m, 0.8, 0.5, 1.0, DataType.FLOAT64);
                DeqTrainer.Config c = new DeqTrainer.Config(form, "ift", 300, 1e-10, 300, 1e-10, 1e-3);
                DeqTrainer t = new DeqTrainer(c, d, d.net, () -> { }, scalars);
                List<ReconstructionProblem> batch = problems(m);
                t.gradients(batch);
                double h = 1e-6;
                int checked = 0;
                for (Pair<String, NDArray> p : t.parameters()) {
                    // PnP: the scalars only (time); RED: every array
                    if (form == DeqForm.PNP && !p.getKey().startsWith("deq.")) continue;
                    NDArray w = p.getValue();
                    double[] g = w.getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
                    double[] v = w.toDoubleArray();
                    for (int k = 0; k < Math.min(1, v.length); k++) {
                        double[] plus = v.clone(), minus = v.clone();
                        plus[k] += h;
                        minus[k] -= h;
                        w.set(plus);
                        double lp = t.loss(batch);
                        w.set(minus);
                        double lm = t.loss(batch);
                        w.set(v);
                        double fd = (lp - lm) / (2 * h);
                        assertEquals(fd, g[k], 1e-6 + 1e-3 * Math.abs(fd), form + " " + p.getKey() + "[" + k + "]");
                        checked++;
                    }
                }
                assertTrue(checked >= 3, "checked " + checked);
            }
        }
    }

    /**
     * ODER's backward (P recorded with the data gradient as a second input, the data part's Jacobian added per product)
     * is the exact implicit gradient: with every block in the minibatch it matches the full-batch backward.
     */
    @Test
    void oderSplitBackwardMatchesTheFullBatchGradient() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            double[][] grads = new double[2][];
            for (int mode = 0; mode < 2; mode++) {
                TinyDenoiser d = new TinyDenoiser(m);
                DeqScalars scalars = new DeqScalars(m, 0.8, 0.1, 1.0, DataType.FLOAT64); // small τ: a monotone map that plain iteration solves
                DeqTrainer.Config c = new DeqTrainer.Config(DeqForm.RED, "ift", 400, 1e-11, 300, 1e-11, 1e-3);
                if (mode == 1) {
                    c = c.withOder(new io.equilibria.reconstruct.oder.OderSettings(1, io.equilibria.reconstruct.oder.BlockSampler.Kind.UNIFORM,
                            io.equilibria.reconstruct.oder.MinibatchData.Scaling.UNBIASED, 1, 1, 1, true));
                }
                DeqTrainer t = new DeqTrainer(c, d, d.net, () -> { }, scalars);
                t.gradients(problems(m));
                List<Double> all = new java.util.ArrayList<>();
                for (Pair<String, NDArray> p : t.parameters()) {
                    for (double v : p.getValue().getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) all.add(v);
                }
                grads[mode] = all.stream().mapToDouble(Double::doubleValue).toArray();
            }
            double diff = 0, norm = 0;
            for (int k = 0; k < grads[0].length; k++) {
                diff += (grads[0][k] - grads[1][k]) * (grads[0][k] - grads[1][k]);
                norm += grads[0][k] * grads[0][k];
            }
            assertTrue(norm > 0);
            assertTrue(Math.sqrt(diff / norm) < 1e-5, "relative gradient difference " + Math.sqrt(diff / norm));
        }
    }
}
