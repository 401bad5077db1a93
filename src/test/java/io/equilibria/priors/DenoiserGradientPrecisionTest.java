package io.equilibria.priors;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import io.equilibria.models.ModelStore;
import org.junit.jupiter.api.Test;

import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The learned denoisers' training gradients in float32 agree with float64 on the same weights (batch 2, under the
 * test JVM's default oneDNN cap). float64 does not run through oneDNN and is the reference. Regression: oneDNN's
 * blocked float32 kernels returned a wrong input gradient for the last convolution (width → 1 output channel), so
 * dx and every earlier layer's weight gradient were wrong; see {@link io.equilibria.compute.Convolutions}.
 */
class DenoiserGradientPrecisionTest {
    private static final double TOLERANCE = 1e-4;

    /** Hands out the given arrays instead of the parameters' own (a float64 copy, or a float32 one with its own gradient). */
    private static final class Substitute extends ParameterStore {
        private final Map<Parameter, NDArray> values;

        Substitute(NDManager m, Map<Parameter, NDArray> values) {
            super(m, false);
            this.values = values;
        }

        @Override
        public NDArray getValue(Parameter p, Device device, boolean training) {
            NDArray a = values.get(p);
            if (a == null) throw new IllegalStateException("no value for " + p.getName());
            return a;
        }
    }

    /** D(x, σ) and the gradients of ⟨c, D(x, σ)⟩ for x and every parameter, computed in {@code type}. */
    private static Map<String, double[]> gradients(NDManager m, Block net, DataType type, float[] x, Shape xs, float[] c, float[] sigma) {
        try (NDManager sm = m.newSubManager()) {
            Map<Parameter, NDArray> values = new IdentityHashMap<>();
            Map<String, NDArray> named = new LinkedHashMap<>();
            for (var e : net.getParameters()) {
                NDArray a = e.getValue().getArray().toType(type, true);
                a.attach(sm);
                a.setRequiresGradient(true);
                values.put(e.getValue(), a);
                named.put(e.getKey(), a);
            }
            NDArray xl = sm.create(x, xs).toType(type, true), cl = sm.create(c, xs).toType(type, true);
            NDArray s = sm.create(sigma).toType(type, true);
            xl.setRequiresGradient(true);
            Map<String, double[]> out = new LinkedHashMap<>();
            Autograd.recording(() -> {
                NDArray y = net.forward(new Substitute(sm, values), new NDList(xl, s), false).singletonOrThrow();
                out.put("D(x)", y.toType(DataType.FLOAT64, false).toDoubleArray());
                Autograd.backward(y, cl, false, false);
                return null;
            });
            out.put("dx", Autograd.gradient(xl).toType(DataType.FLOAT64, false).toDoubleArray());
            for (var e : named.entrySet()) out.put("d" + e.getKey(), Autograd.gradient(e.getValue()).toType(DataType.FLOAT64, false).toDoubleArray());
            return out;
        }
    }

    private static float[] random(int n, long seed, double scale, double offset) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (offset + scale * r.nextGaussian());
        return v;
    }

    /** Relative errors (‖a − r‖ / ‖r‖) of float32 against float64 for the output, dx and every parameter gradient. */
    private static Map<String, Double> errors(NDManager m, String name, Block net, Shape xs) {
        int n = (int) xs.size();
        float[] x = random(n, 1, 0.2, 0.5), c = random(n, 2, 1, 0);
        float[] sigma = new float[(int) xs.get(0)];
        for (int i = 0; i < sigma.length; i++) sigma[i] = 0.05f + 0.05f * i;
        Map<String, double[]> single = gradients(m, net, DataType.FLOAT32, x, xs, c, sigma);
        Map<String, double[]> reference = gradients(m, net, DataType.FLOAT64, x, xs, c, sigma);
        Map<String, Double> rel = new LinkedHashMap<>();
        StringBuilder report = new StringBuilder(name + " " + xs + ", float32 vs float64:");
        for (var e : reference.entrySet()) {
            double err = TestSupport.relativeL2(single.get(e.getKey()), e.getValue());
            rel.put(e.getKey(), err);
            report.append(String.format(java.util.Locale.ROOT, "%n  %-22s %.3g", e.getKey(), err));
        }
        System.out.println(report);
        return rel;
    }

    private static void check(String name, Map<String, Double> rel) {
        for (var e : rel.entrySet()) {
            assertTrue(e.getValue() < TOLERANCE, name + ", " + e.getKey() + ": float32 differs from float64 by " + e.getValue() + " (relative)");
        }
    }

    @Test
    void shippedDnCnnGradientsAgreeWithFloat64() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            Block net = ModelStore.load("dncnn-b125-d8w16", m).block();
            check("dncnn-b125-d8w16", errors(m, "dncnn-b125-d8w16", net, new Shape(2, 1, 24, 24)));
        }
    }

    @Test
    void defaultDnCnnGradientsAgreeWithFloat64() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            DnCnn net = new DnCnn(DnCnn.Config.defaults().withNormSize(16)).initialize(m);
            net.refineSpectralNorms(20);
            check("DnCNN 8x32", errors(m, "DnCNN 8x32", net, new Shape(2, 1, 24, 24)));
        }
    }

    @Test
    void dnCnn3dGradientsAgreeWithFloat64() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            DnCnn3d net = new DnCnn3d(DnCnn3d.Config.defaults().withNormSize(8)).initialize(m);
            net.refineSpectralNorms(20);
            check("DnCNN3d 8x16", errors(m, "DnCNN3d 8x16", net, new Shape(2, 1, 10, 12, 12)));
        }
    }

    @Test
    void shippedUNetGradientsAgreeWithFloat64() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            Block net = ModelStore.load("unet-denoiser", m).block();
            check("unet-denoiser", errors(m, "unet-denoiser", net, new Shape(2, 1, 24, 24)));
        }
    }
}
