package io.equilibria.classify.geq;

import io.equilibria.classify.geq.GeqNet;

import io.equilibria.classify.geq.GeqClassifier;

import io.equilibria.train.GeqTrainer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.solvers.Solution;
import io.equilibria.train.ClassifierTrainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GeqNetTest {
    private static NDManager manager;

    @BeforeAll
    static void start() { manager = Compute.manager(Compute.resolve("cpu")); }

    @AfterAll
    static void stop() { manager.close(); }

    /** A tiny model: 8×8 images, 4×4 patches at stride 2 (9 positions), 6 hidden units, 2×2 pooling, 3 classes. */
    private static GeqNet.Config tiny(GeqNet.Kernel kernel, double fixedGamma, int[] patches) {
        return new GeqNet.Config(kernel, 8, 8, patches, 6, 2, 3, 0.2, GeqNet.GammaRule.INPUT, fixedGamma, 1e-3, 1.0, 0.3, 0.3, 1.0, 1e-7, 2000, 5, 0.5, 7);
    }

    private static float[] images(int b, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[b * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        return x;
    }

    private static float[] solve(GeqNet.Operators ops, NDList xs, NDArray z0) {
        Solution s = ops.solve(xs, z0, 1e-7, 3000);
        assertTrue(s.converged(), "solver must converge: " + s.summary());
        return s.z().toFloatArray();
    }

    @Test
    void smallGammaHasAUniqueFixedPointFromDifferentStarts() {
        for (double gamma : new double[] {1e-3, 0.05, 0.2}) { // 0.2: gamma ‖x_p‖² ≈ 3, far from the small-gamma regime; unique by the spectral bound
            GeqNet net = new GeqNet(tiny(GeqNet.Kernel.GAUSSIAN, gamma, new int[] {4, 3})).initialize(manager);
            try (NDManager m = manager.newSubManager()) {
                Autograd.noGrad(() -> {
                    GeqNet.Operators ops = net.operators(m);
                    // both branches' dictionaries are rescaled to spectral norm 1: α = 1/(1 + (1 + 2/e)·1)
                    for (double alpha : ops.alphas()) assertEquals(1 / (2 + 2 / Math.E), alpha, 1e-5);
                    NDList xs = ops.patches(m.create(images(4, 1), new Shape(4, 64)));
                    float[] a = solve(ops, xs, null);
                    NDArray start = m.randomUniform(0, 3, new Shape(4, ops.stateSize()));
                    float[] b = solve(ops, xs, start);
                    assertTrue(maxAbs(a) > 1e-3, "the equilibrium must not be trivially zero");
                    assertTrue(maxDiff(a, b) < 1e-4 * maxAbs(a), "starts from zero and from a random point must meet, gamma " + gamma);
                    // and it is a fixed point of the GEQ layer itself, not only of the damped FB map
                    NDArray z = m.create(a, new Shape(4, ops.stateSize()));
                    assertTrue(maxDiff(ops.layer(z, xs).toFloatArray(), a) < 1e-4 * maxAbs(a));
                    return null;
                });
            }
        }
    }

    @Test
    void vanishingGammaApproachesTheLinearKernelLayer() {
        GeqNet gauss = new GeqNet(tiny(GeqNet.Kernel.GAUSSIAN, 1e-2, new int[] {4})).initialize(manager);
        GeqNet linear = new GeqNet(tiny(GeqNet.Kernel.LINEAR, 0, new int[] {4})).initialize(manager);
        try (NDManager m = manager.newSubManager()) {
            Autograd.noGrad(() -> {
                GeqNet.Operators lin = linear.operators(m);
                NDList xs = lin.patches(m.create(images(3, 2), new Shape(3, 64)));
                float[] zLin = solve(lin, xs, null);
                double previous = Double.NaN;
                for (double gamma : new double[] {1e-2, 1e-3, 1e-4}) {
                    GeqNet g = new GeqNet(gauss.config().withGamma(gamma)).initialize(manager);
                    GeqNet.Operators ops = g.operators(m);
                    // same map at the same point: the layers differ by O(γ)
                    NDArray probe = m.create(zLin, new Shape(3, lin.stateSize()));
                    double layerGap = maxDiff(ops.layer(probe, xs).toFloatArray(), lin.layer(probe, xs).toFloatArray());
                    double fixedGap = maxDiff(solve(ops, xs, null), zLin);
                    assertTrue(layerGap < 50 * gamma * maxAbs(zLin), "layer gap " + layerGap + " at gamma " + gamma);
                    if (!Double.isNaN(previous)) {
                        double ratio = previous / fixedGap;
                        assertTrue(ratio > 5 && ratio < 20, "fixed-point gap must shrink like gamma: ratio " + ratio + " at gamma " + gamma);
                    }
                    previous = fixedGap;
                }
                return null;
            });
        }
    }

    @Test
    void phantomGradientAgreesInDirectionWithFiniteDifferences() {
        GeqNet net = new GeqNet(tiny(GeqNet.Kernel.GAUSSIAN, 0, new int[] {4})).initialize(manager);
        float[] x = images(5, 3);
        int[] labels = {0, 1, 2, 1, 0};
        String[] inner = {"V0", "g0", "b0"};
        // phantom gradient of the cross-entropy at the equilibrium
        for (String p : inner) net.parameter(p).setRequiresGradient(true);
        net.parameter("G").setRequiresGradient(true);
        net.parameter("by").setRequiresGradient(true);
        double[] phantom;
        try (NDManager m = manager.newSubManager()) {
            GeqTrainer.step(net, m, x, labels);
            phantom = concat(net, inner, true);
        }
        for (String p : new String[] {"V0", "g0", "b0", "G", "by"}) net.parameter(p).setRequiresGradient(false);
        // central differences of the loss with the equilibrium solved to 1e-7 (float32 weights, step 1e-2)
        double[] fd = new double[phantom.length];
        int at = 0;
        for (String p : inner) {
            NDArray w = net.parameter(p);
            float[] v = w.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                float keep = v[i];
                double h = 1e-2;
                v[i] = (float) (keep + h);
                w.set(v);
                double up = loss(net, x, labels);
                v[i] = (float) (keep - h);
                w.set(v);
                double down = loss(net, x, labels);
                v[i] = keep;
                w.set(v);
                fd[at++] = (up - down) / (2 * h);
            }
        }
        double cos = cosine(phantom, fd);
        assertTrue(cos > 0.9, "phantom gradient must point like the true gradient: cosine " + cos);
    }

    @Test
    void storedModelRoundTripsThroughTheModelStore(@TempDir Path dir) {
        GeqNet.Config c = tiny(GeqNet.Kernel.GAUSSIAN, 0, new int[] {4, 3});
        GeqNet net = new GeqNet(c).initialize(manager);
        assertEquals(c.toMap(), GeqNet.Config.fromMap(c.toMap()).toMap());
        ModelCard card = ModelCard.of("geq-tiny", "classifier", "test", new ModelCard.Architecture(GeqNet.class.getName(), c.toMap()), null, Map.of());
        ModelStore.save(dir, card, net);
        float[][] batch = {images(1, 4), images(1, 5)};
        try (GeqClassifier a = new GeqClassifier(net); NDManager m = manager.newSubManager()) {
            GeqNet loaded = (GeqNet) ModelStore.load(dir.resolve("geq-tiny").toString(), m).block();
            try (GeqClassifier b = new GeqClassifier(loaded)) {
                assertArrayEquals(a.logits(batch)[1], b.logits(batch)[1], 1e-6f);
            }
        }
    }

    private static double loss(GeqNet net, float[] x, int[] labels) {
        try (NDManager m = manager.newSubManager()) {
            return Autograd.noGrad(() -> {
                GeqNet.Operators ops = net.operators(m);
                NDList xs = ops.patches(m.create(x, new Shape(labels.length, 64)));
                Solution s = ops.solve(xs, null, 1e-7, 5000);
                return (double) ClassifierTrainer.marginLoss(ops.logits(s.z()), labels, 3, 0, 1).getFloat();
            });
        }
    }

    private static double[] concat(GeqNet net, String[] names, boolean gradient) {
        java.util.List<Float> all = new java.util.ArrayList<>();
        for (String n : names) {
            NDArray a = net.parameter(n);
            for (float f : (gradient ? Autograd.gradient(a) : a).toFloatArray()) all.add(f);
        }
        double[] d = new double[all.size()];
        for (int i = 0; i < d.length; i++) d[i] = all.get(i);
        return d;
    }

    private static double cosine(double[] a, double[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float f : a) m = Math.max(m, Math.abs(f));
        return m;
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
