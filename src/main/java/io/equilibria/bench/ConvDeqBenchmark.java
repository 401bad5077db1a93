package io.equilibria.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.equilibria.deq.DeqCell;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.Equilibrium;
import io.equilibria.deq.GradientMode;
import io.equilibria.deq.SpectralRadius;
import io.equilibria.compute.Tensors;
import io.equilibria.nn.SnConv2d;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A convolutional DEQ at image scale, z ↦ tanh(W₂ relu(W₁ z) + W_x x) with spectrally normalised 3×3 convolutions
 * and a gain on the state path that scales the spectral radius of ∂f/∂z at its fixed point towards 0.7 (random
 * weights alone contract far more strongly than trained DEQs), relaxed as T = (1 − α) z + α f(z): α = 1 is f itself,
 * a small α the slow gradient-step-like regime of DEQ-RED maps where acceleration matters. Measures
 * iterations and time per forward solve for each solver, and the cost of the backward pass (IFT and JFB) relative
 * to the forward solve, for the loss ½‖z*‖².
 */
public final class ConvDeqBenchmark {
    public record Row(String what, int iterations, double residual, boolean converged, double seconds) {}

    private ConvDeqBenchmark() {}

    public static List<Row> run(NDManager base, int size, int channels, int repeats, double tolerance, double step, long seed) {
        List<Row> rows = new ArrayList<>();
        try (NDManager m = base.newSubManager()) {
            ai.djl.engine.Engine.getInstance().setRandomSeed((int) seed); // weights and input: the same map every run
            SnConv2d c1 = conv(channels, 0.99, seed), c2 = conv(channels, 0.99, seed + 1), cx = conv(channels, 1.0, seed + 2);
            Shape zShape = new Shape(1, channels, size, size);
            c1.initialize(m, DataType.FLOAT32, zShape);
            c2.initialize(m, DataType.FLOAT32, zShape);
            cx.initialize(m, DataType.FLOAT32, new Shape(1, 1, size, size));
            for (SnConv2d c : new SnConv2d[] {c1, c2, cx}) c.estimate(300); // settle σ̂ once; inference keeps it fixed
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomUniform(0, 1, new Shape(1, 1, size, size));
            NDArray injection = cx.forward(ps, new NDList(x), false).singletonOrThrow();
            NDArray[] gain = {io.equilibria.compute.Scalars.constant(x, 1)}; // engine-owned constants on every autograd path (see Scalars.constant)
            NDArray keep = io.equilibria.compute.Scalars.constant(x, 1 - step), move = io.equilibria.compute.Scalars.constant(x, step);
            DeqCell f = (z, xx) -> {
                NDArray h = c1.forward(ps, new NDList(z), false).singletonOrThrow().getNDArrayInternal().relu();
                return c2.forward(ps, new NDList(h), false).singletonOrThrow().mul(gain[0]).add(injection).tanh();
            };
            // T = (1 − α) z + α f(z): a small step α is the slow, gradient-step-like regime of DEQ-RED maps
            DeqCell cell = step == 1 ? f : (z, xx) -> z.mul(keep).add(f.apply(z, xx).mul(move));
            SolverOptions o = SolverOptions.of(500, tolerance);
            // random weights make a far stronger contraction than trained DEQs have: scale the state path so that the
            // spectral radius of J at z* is near the target (measured again at the end), the slow regime where solvers differ
            DeqLayer probe = new DeqLayer(f, Solvers.parse("anderson"), SolverOptions.of(300, 1e-6), GradientMode.parse("jfb", o));
            try (Equilibrium eq = probe.forward(x, null, zShape)) {
                gain[0] = io.equilibria.compute.Scalars.constant(x, 0.7 / SpectralRadius.estimate(f, eq.z(), x, 100, 1e-4, seed).radius());
            }
            double andersonForward = Double.NaN;
            Equilibrium kept = null;
            for (String solver : new String[] {"picard", "anderson", "broyden"}) {
                double[] times = new double[repeats];
                Solution last = null;
                for (int r = 0; r < repeats; r++) {
                    DeqLayer layer = new DeqLayer(cell, Solvers.parse(solver), o, GradientMode.parse("jfb", o));
                    long t0 = System.nanoTime();
                    Equilibrium eq = layer.forward(x, null, zShape);
                    times[r] = (System.nanoTime() - t0) / 1e9;
                    last = eq.forward();
                    if (solver.equals("anderson") && kept == null) kept = eq;
                    else eq.close();
                }
                double t = median(times);
                if (solver.equals("anderson")) andersonForward = t;
                rows.add(new Row("forward " + Solvers.parse(solver).describe(), last.iterations(), last.residual(), last.converged(), t));
            }
            // backward passes at the Anderson fixed point, for loss ½‖z*‖² (∂ℓ/∂z* = z*); parameters need gradients
            for (SnConv2d c : new SnConv2d[] {c1, c2}) c.getParameters().forEach(p -> p.getValue().getArray().setRequiresGradient(true));
            DeqCell trainCell = (z, xx) -> {
                NDArray h = c1.forward(ps, new NDList(z), false).singletonOrThrow().getNDArrayInternal().relu();
                NDArray fz = c2.forward(ps, new NDList(h), false).singletonOrThrow().mul(gain[0]).add(injection.stopGradient()).tanh();
                return step == 1 ? fz : z.mul(keep).add(fz.mul(move));
            };
            for (String mode : new String[] {"jfb", "ift"}) {
                double[] times = new double[repeats];
                DeqLayer.Backward b = null;
                for (int r = 0; r < repeats; r++) {
                    DeqLayer layer = new DeqLayer(trainCell, Solvers.parse("anderson"), o, GradientMode.parse(mode, SolverOptions.of(300, tolerance)));
                    long t0 = System.nanoTime();
                    b = layer.backward(x, kept, kept.z(), false);
                    times[r] = (System.nanoTime() - t0) / 1e9;
                }
                double t = median(times);
                rows.add(new Row("backward " + mode + " (time / Anderson forward = "
                        + String.format(Locale.ROOT, "%.2f", t / andersonForward) + ")", b.iterations(), b.residual(), b.converged(), t));
            }
            SpectralRadius.Estimate rho = SpectralRadius.estimate(cell, kept.z(), x, 50, 1e-3, seed);
            rows.add(new Row("spectral radius of J at z*: " + String.format(Locale.ROOT, "%.3f", rho.radius()), rho.iterations(),
                    Double.NaN, rho.converged(), Double.NaN));
            kept.close();
        }
        return rows;
    }

    private static SnConv2d conv(int channels, double bound, long seed) {
        return SnConv2d.builder().outChannels(channels).bound(bound).seed(seed).powerIterations(0).build();
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
