package io.equilibria.classify;

import io.equilibria.classify.EquilibriumNet;

import io.equilibria.classify.ConvEquilibriumNet;

import io.equilibria.classify.ConvEquilibriumClassifier;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import io.equilibria.solvers.Solution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConvEquilibriumNetTest {
    private static ConvEquilibriumNet.Config config(EquilibriumNet.Kind kind, double gamma) {
        return new ConvEquilibriumNet.Config(kind, 8, 8, 3, 4, 1.0, gamma, 2.0, 1.5, 1e-6, 20_000, 7);
    }

    /** Random weights at a larger scale than the initialisation (and ψ ≠ 0), so the maps are far from trivial. */
    private static ConvEquilibriumNet net(NDManager m, EquilibriumNet.Kind kind, double gamma, long seed) {
        ConvEquilibriumNet net = new ConvEquilibriumNet(config(kind, gamma)).initialize(m);
        SplittableRandom r = new SplittableRandom(seed);
        for (var p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = a.toFloatArray();
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.4 * r.nextGaussian());
            a.set(v);
        }
        return net;
    }

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble();
        return x;
    }

    private static double dot(NDArray a, NDArray b) {
        return a.toType(DataType.FLOAT64, false).mul(b.toType(DataType.FLOAT64, false)).sum().getDouble();
    }

    @Test
    void adjointsAreAdjoint() {
        for (EquilibriumNet.Kind kind : EquilibriumNet.Kind.values()) {
            try (NDManager m = Compute.manager(Device.cpu())) {
                ConvEquilibriumNet net = net(m, kind, 1.0, 3);
                Autograd.noGrad(() -> {
                    ConvEquilibriumNet.Operators ops = net.operators(m, 0.1);
                    Shape xs = new Shape(2, 1, 8, 8), zs = net.stateShape(2), ys = new Shape(2, 4);
                    NDArray x = m.create(random(128, 1), xs), z = m.create(random((int) zs.size(), 2), zs), z2 = m.create(random((int) zs.size(), 4), zs);
                    NDArray y = m.create(random(8, 3), ys);
                    String[] maps = kind == EquilibriumNet.Kind.LBEN ? new String[] {"V", "S"} : new String[] {"A", "B"};
                    check("U", dot(ops.apply("U", x, false), z), dot(x, ops.apply("U", z, true)));
                    check("G", dot(ops.apply("G", z, false), y), dot(z, ops.apply("G", y, true)));
                    for (String k : maps) check(k, dot(ops.apply(k, z, false), z2), dot(z, ops.apply(k, z2, true)));
                    check("I-W", dot(ops.iMinusW(z, false), z2), dot(z, ops.iMinusW(z2, true)));
                    return null;
                });
            }
        }
    }

    private static void check(String what, double a, double b) {
        assertEquals(a, b, 1e-4 * Math.max(1, Math.abs(a)), what + ": <Ax, y> = " + a + " but <x, A^T y> = " + b);
    }

    @Test
    void lmiMarginIsNonNegativeForRandomParametersAndAnyGamma() {
        for (double gamma : new double[] {0.05, 1, 20}) {
            try (NDManager m = Compute.manager(Device.cpu())) {
                ConvEquilibriumNet net = net(m, EquilibriumNet.Kind.LBEN, gamma, 11);
                net.parameter("psi").set(new float[] {0.8f});
                int n = net.config().stateDim();
                double margin = net.lmiMargin(n); // Lanczos to the full dimension: exact up to rounding
                // exactly 2 λ_min(VᵀV + εI) >= 2ε
                assertTrue(margin >= 2 * net.config().epsilon() - 1e-6, "gamma " + gamma + ": margin " + margin);
                assertTrue(margin < 1e3, "margin " + margin);
            }
        }
    }

    @Test
    void equilibriumResidualIsSmallAndTwoStartsAgree() {
        for (EquilibriumNet.Kind kind : EquilibriumNet.Kind.values()) {
            try (NDManager m = Compute.manager(Device.cpu())) {
                ConvEquilibriumNet net = net(m, kind, 1.0, 5);
                Autograd.noGrad(() -> {
                    ConvEquilibriumNet.Operators ops = net.operators(m);
                    assertTrue(ops.alpha() > 0);
                    NDArray inj = ops.inject(m.create(random(3 * 64, 9), new Shape(3, 1, 8, 8)));
                    Solution a = net.solve(ops, inj, null, 1e-6, 20_000);
                    Solution b = net.solve(ops, inj, m.create(random((int) net.stateShape(3).size(), 13), net.stateShape(3)).mul(5), 1e-6, 20_000);
                    assertTrue(a.converged() && b.converged(), a.summary() + " / " + b.summary());
                    NDArray z = a.z();
                    // z = ReLU(Wz + Ux + b) with Wz = z − (I−W)z
                    NDArray t = ai.djl.nn.Activation.relu(z.sub(ops.iMinusW(z, false)).add(inj));
                    double res = t.sub(z).norm().getFloat() / z.norm().getFloat();
                    assertTrue(res < 1e-3, kind + ": equilibrium residual " + res);
                    double diff = a.z().sub(b.z()).norm().getFloat() / z.norm().getFloat();
                    assertTrue(diff < 1e-3, kind + ": two starts differ by " + diff);
                    return null;
                });
            }
        }
    }

    @Test
    void logitsAreGammaLipschitzOnRandomPairsAndByTheJacobian() {
        double gamma = 0.5;
        try (NDManager m = Compute.manager(Device.cpu())) {
            ConvEquilibriumNet net = net(m, EquilibriumNet.Kind.LBEN, gamma, 17);
            try (ConvEquilibriumClassifier c = new ConvEquilibriumClassifier(net)) {
                SplittableRandom r = new SplittableRandom(1);
                double worst = 0;
                for (int t = 0; t < 5; t++) {
                    float[] x = random(64, 100 + t), x2 = x.clone();
                    double scale = Math.pow(10, -2 + 2 * r.nextDouble()), dn = 0;
                    for (int i = 0; i < x2.length; i++) {
                        float d = (float) (scale * r.nextGaussian());
                        x2[i] += d;
                        dn += d * (double) d;
                    }
                    float[][] l = c.logits(new float[][] {x, x2}, 1e-6, 20_000);
                    double ln = 0;
                    for (int k = 0; k < l[0].length; k++) ln += (l[0][k] - l[1][k]) * (double) (l[0][k] - l[1][k]);
                    worst = Math.max(worst, Math.sqrt(ln / dn));
                }
                assertTrue(worst <= gamma * 1.001, "pair ratio " + worst + " above gamma " + gamma);
                ConvEquilibriumNet.Operators ops = Autograd.noGrad(() -> net.operators(m, c.alpha()));
                double jac = net.jacobianNorm(ops, random(64, 5), 8);
                assertTrue(jac <= gamma * 1.001, "Jacobian norm " + jac + " above gamma " + gamma);
                assertTrue(jac >= worst * 0.5, "Jacobian norm " + jac + " vs pair ratio " + worst);
            }
        }
    }

    @Test
    void warmStepsTakeExactlySFbSteps() {
        try (NDManager m = Compute.manager(Device.cpu())) {
            ConvEquilibriumNet net = net(m, EquilibriumNet.Kind.LBEN, 1.0, 19);
            try (ConvEquilibriumClassifier c = new ConvEquilibriumClassifier(net)) {
                float[][] batch = {random(64, 1), random(64, 2)};
                var first = c.solve(batch);
                var next = c.steps(batch, first.states(), 3);
                assertEquals(3, next.iterations());
                assertArrayEquals(first.labels(), next.labels(), "from the equilibrium, FB steps stay there");
            }
        }
    }

    @Test
    void savedModelReloadsWithIdenticalLogits(@TempDir Path dir) {
        try (NDManager m = Compute.manager(Device.cpu())) {
            ConvEquilibriumNet net = net(m, EquilibriumNet.Kind.LBEN, 1.0, 23);
            ModelStore.save(dir, ModelCard.of("tiny-conv-lben", "classifier", "test", new ModelCard.Architecture(ConvEquilibriumNet.class.getName(),
                    net.config().toMap()), null, null), net);
            StoredModel loaded = ModelStore.load(dir.resolve("tiny-conv-lben.json"), m);
            ConvEquilibriumNet back = (ConvEquilibriumNet) loaded.block();
            assertEquals(net.config(), back.config());
            float[][] x = {random(64, 2)};
            try (ConvEquilibriumClassifier a = new ConvEquilibriumClassifier(net); ConvEquilibriumClassifier b = new ConvEquilibriumClassifier(back)) {
                assertEquals(a.alpha(), b.alpha(), 0.0);
                assertArrayEquals(a.logits(x)[0], b.logits(x)[0], 0f);
            }
        }
    }

    /**
     * Regression: training diverged within ~20 steps because the FB cell's vector–Jacobian products were wrong in
     * float32. oneDNN's blocked kernels (batches larger than one) returned a wrong or NaN input gradient for the
     * single-output-channel convolution in Uᵀ (and for any channel count that is not a whole number of blocks), so
     * the implicit backward solve blew up or the weights went astray; see {@link io.equilibria.compute.Convolutions}.
     * float64 does not use oneDNN and is the reference. 16 channels is the shipped model's, 12 also pads the inputs.
     */
    @Test
    void trainingCellGradientsAgreeWithFloat64() {
        for (int channels : new int[] {16, 12}) {
            try (NDManager m = Compute.manager(Device.cpu())) {
                ConvEquilibriumNet net = new ConvEquilibriumNet(new ConvEquilibriumNet.Config(EquilibriumNet.Kind.LBEN, 28, 28, channels, 10,
                        0.5, 1.0, 2.0, 1.5, 1e-3, 500, 2)).initialize(m);
                int b = 32;
                Shape xs = new Shape(b, 1, 28, 28), zs = net.stateShape(b);
                float[] x = random((int) xs.size(), 1), z = random((int) zs.size(), 2), u = random((int) zs.size(), 3);
                for (int i = 0; i < u.length; i++) u[i] -= 0.5f;
                java.util.Map<String, double[]> single = cellGradients(m, net, DataType.FLOAT32, x, xs, z, zs, u);
                java.util.Map<String, double[]> reference = cellGradients(m, net, DataType.FLOAT64, x, xs, z, zs, u);
                for (var e : reference.entrySet()) {
                    double rel = io.equilibria.TestSupport.relativeL2(single.get(e.getKey()), e.getValue()); // b_y is not in T: zero in both
                    assertTrue(rel < 1e-4, channels + " channels, " + e.getKey() + ": float32 differs from float64 by " + rel + " (relative)");
                }
            }
        }
    }

    /** T(z, x) and the gradients of ⟨u, T(z, x)⟩ with respect to z and every parameter, computed in {@code type}. */
    private static java.util.Map<String, double[]> cellGradients(NDManager m, ConvEquilibriumNet net, DataType type, float[] x, Shape xs,
                                                                 float[] z, Shape zs, float[] u) {
        try (NDManager sm = m.newSubManager()) {
            java.util.Map<String, NDArray> p = new java.util.LinkedHashMap<>();
            for (var e : net.getParameters()) {
                NDArray a = e.getValue().getArray().toType(type, true);
                a.attach(sm);
                a.setRequiresGradient(true);
                p.put(e.getKey(), a);
            }
            NDArray zl = sm.create(z, zs).toType(type, true), xl = sm.create(x, xs).toType(type, true), ul = sm.create(u, zs).toType(type, true);
            zl.setRequiresGradient(true);
            java.util.Map<String, double[]> out = new java.util.LinkedHashMap<>();
            Autograd.recording(() -> {
                ConvEquilibriumNet.Operators ops = net.new Operators(sm, p, 0.05);
                NDArray y = ops.fb(zl, ops.inject(xl));
                out.put("T(z, x)", y.toType(DataType.FLOAT64, false).toDoubleArray());
                Autograd.backward(y, ul, false, false);
                return null;
            });
            out.put("dz", zl.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
            for (var e : p.entrySet()) out.put("d" + e.getKey(), e.getValue().getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
            return out;
        }
    }
}
