package io.equilibria.classify;

import io.equilibria.classify.EquilibriumNet;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.certify.lipschitz.Certificates;
import io.equilibria.certify.lipschitz.Lben;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EquilibriumNetTest {
    private static EquilibriumNet.Config config(EquilibriumNet.Kind kind, EquilibriumNet.Method method) {
        return new EquilibriumNet.Config(kind, 1, 4, 5, 12, 3, 0.3, 2.0, 1e-3, method, 1.0, 1e-6, 5000, 7);
    }

    /** Random weights with larger-than-initial scale, so the maps are far from trivial. */
    private static EquilibriumNet net(NDManager m, EquilibriumNet.Kind kind, EquilibriumNet.Method method) {
        EquilibriumNet net = new EquilibriumNet(config(kind, method)).initialize(m);
        SplittableRandom r = new SplittableRandom(3);
        for (var p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = a.toFloatArray();
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.5 * r.nextGaussian());
            a.set(v);
        }
        return net;
    }

    private static float[] input(int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[d];
        for (int i = 0; i < d; i++) x[i] = (float) r.nextDouble();
        return x;
    }

    private static float[] solve(EquilibriumNet net, NDManager m, EquilibriumNet.Method method, float[] x) {
        return Autograd.noGrad(() -> {
            EquilibriumNet.Operators ops = net.operators(m, true);
            double fb = method == EquilibriumNet.Method.FB ? net.forwardBackwardStep() : 0;
            EquilibriumNet.Solution s = EquilibriumNet.solve(ops, method, fb, ops.inject(m.create(x, new Shape(1, x.length))), null, 0, 1e-6, 20_000);
            return ops.logits(s.z()).toFloatArray();
        });
    }

    @Test
    void forwardBackwardAndPeacemanRachfordReachTheFloat64Equilibrium() {
        try (NDManager m = Compute.manager(Device.cpu())) {
            for (EquilibriumNet.Kind kind : EquilibriumNet.Kind.values()) {
                EquilibriumNet net = net(m, kind, EquilibriumNet.Method.PR);
                float[] x = input(20, 11);
                float[] pr = solve(net, m, EquilibriumNet.Method.PR, x);
                float[] fb = solve(net, m, EquilibriumNet.Method.FB, x);
                double[] xd = new double[x.length];
                for (int i = 0; i < x.length; i++) xd[i] = x[i];
                double[] ref = net.toLben().forward(xd);
                for (int i = 0; i < ref.length; i++) {
                    assertEquals(ref[i], pr[i], 1e-3 * (1 + Math.abs(ref[i])), kind + " PR logit " + i);
                    assertEquals(ref[i], fb[i], 1e-3 * (1 + Math.abs(ref[i])), kind + " FB logit " + i);
                }
            }
        }
    }

    @Test
    void lbenInequalityHoldsForArbitraryParametersAndBoundsTheEmpiricalRatio() {
        try (NDManager m = Compute.manager(Device.cpu())) {
            EquilibriumNet net = net(m, EquilibriumNet.Kind.LBEN, EquilibriumNet.Method.PR);
            Lben l = net.toLben();
            assertEquals(2.0, l.gamma(), 0);
            assertTrue(l.lmiMargin() > -1e-9, "LMI margin " + l.lmiMargin());
            assertTrue(l.schurMargin() >= 2 * 1e-3 - 1e-9, "Schur complement is 2VᵀV + 2εI: margin " + l.schurMargin());
            double ratio = Certificates.empiricalLipschitz(l::forward, 20, 4, 150, 5);
            assertTrue(ratio <= l.gamma() * (1 + 1e-9), "empirical " + ratio + " > bound " + l.gamma());
            assertTrue(ratio > 0.05 * l.gamma(), "the search should find a non-trivial ratio, got " + ratio);
            // the MonDEQ conversion is an LBEN too, with gamma = |U||G|/m
            Lben mon = net(m, EquilibriumNet.Kind.MONDEQ, EquilibriumNet.Method.PR).toLben();
            assertTrue(mon.schurMargin() > -1e-9 * mon.gamma(), "MonDEQ as LBEN: " + mon.schurMargin());
        }
    }

    @Test
    void adjointSolvesTheImplicitGradientSystem() {
        try (NDManager m = Compute.manager(Device.cpu())) {
            for (EquilibriumNet.Kind kind : EquilibriumNet.Kind.values()) {
                EquilibriumNet net = net(m, kind, EquilibriumNet.Method.PR);
                int n = net.config().hidden(), b = 3;
                Autograd.noGrad(() -> {
                    EquilibriumNet.Operators ops = net.operators(m, true);
                    float[] mask = new float[b * n], v = new float[b * n];
                    SplittableRandom r = new SplittableRandom(9);
                    for (int i = 0; i < mask.length; i++) {
                        mask[i] = r.nextBoolean() ? 1 : 0;
                        v[i] = (float) r.nextGaussian();
                    }
                    NDArray dm = m.create(mask, new Shape(b, n)), vv = m.create(v, new Shape(b, n));
                    float[] g = EquilibriumNet.adjoint(ops, dm, vv, 1e-6, 20_000).toFloatArray();
                    NDArray mat = m.eye(n).expandDims(0).sub(ops.wt().expandDims(0).mul(dm.expandDims(1)));
                    float[] ref = mat.inverse().batchMatMul(vv.expandDims(2)).squeeze(2).toFloatArray();
                    for (int i = 0; i < ref.length; i++) assertEquals(ref[i], g[i], 1e-3 * (1 + Math.abs(ref[i])), kind + " entry " + i);
                    return null;
                });
            }
        }
    }

    @Test
    void implicitGradientMatchesFiniteDifferences() {
        // the trainer's gradient of a loss through z*, for one entry of U, against a central difference of the loss
        try (NDManager m = Compute.manager(Device.cpu())) {
            EquilibriumNet net = net(m, EquilibriumNet.Kind.MONDEQ, EquilibriumNet.Method.PR);
            float[] x = input(20, 4);
            NDArray u = net.parameter("U");
            double loss0 = Autograd.noGrad(() -> lossOf(net, m, x));
            // analytic: dL/dU via adjoint g, L = sum(logits * c)
            float[] grad = Autograd.noGrad(() -> {
                EquilibriumNet.Operators ops = net.operators(m, true);
                NDArray xa = m.create(x, new Shape(1, x.length));
                EquilibriumNet.Solution s = EquilibriumNet.solve(ops, EquilibriumNet.Method.PR, 0, ops.inject(xa), null, 0, 1e-6, 20_000);
                NDArray c = m.create(new float[] {1f, -2f, 0.5f}, new Shape(1, 3));
                NDArray v = c.matMul(ops.g());
                NDArray dmask = s.z().matMul(ops.wt()).add(ops.inject(xa)).gt(0).toType(DataType.FLOAT32, false);
                NDArray g = EquilibriumNet.adjoint(ops, dmask, v, 1e-6, 20_000);
                // T = relu(Wz + Ux + b): dT/dU_ij = D_i x_j, so dL/dU = (D g) x^T
                return g.mul(dmask).transpose().matMul(xa).toFloatArray();
            });
            int[] entries = {0, 7, 33, 101};
            for (int e : entries) {
                float[] w = u.toFloatArray();
                float h = 1e-2f, orig = w[e];
                w[e] = orig + h;
                u.set(w);
                double plus = Autograd.noGrad(() -> lossOf(net, m, x));
                w[e] = orig - h;
                u.set(w);
                double minus = Autograd.noGrad(() -> lossOf(net, m, x));
                w[e] = orig;
                u.set(w);
                double fd = (plus - minus) / (2 * h);
                assertEquals(fd, grad[e], 2e-2 * (1 + Math.abs(fd)), "dL/dU[" + e + "], L = " + loss0);
            }
        }
    }

    private static double lossOf(EquilibriumNet net, NDManager m, float[] x) {
        EquilibriumNet.Operators ops = net.operators(m, true);
        EquilibriumNet.Solution s = EquilibriumNet.solve(ops, EquilibriumNet.Method.PR, 0, ops.inject(m.create(x, new Shape(1, x.length))), null, 0, 1e-6, 20_000);
        float[] l = ops.logits(s.z()).toFloatArray();
        return l[0] - 2 * l[1] + 0.5 * l[2];
    }

    @Test
    void savedModelReloadsWithIdenticalLogits(@TempDir Path dir) {
        try (NDManager m = Compute.manager(Device.cpu())) {
            EquilibriumNet net = net(m, EquilibriumNet.Kind.LBEN, EquilibriumNet.Method.PR);
            ModelStore.save(dir, ModelCard.of("tiny-lben", "classifier", "test", new ModelCard.Architecture(EquilibriumNet.class.getName(),
                    net.config().toMap()), null, null), net);
            StoredModel loaded = ModelStore.load(dir.resolve("tiny-lben.json"), m);
            EquilibriumNet back = (EquilibriumNet) loaded.block();
            assertEquals(net.config(), back.config());
            float[] x = input(20, 2);
            assertArrayEquals(solve(net, m, EquilibriumNet.Method.PR, x), solve(back, m, EquilibriumNet.Method.PR, x), 0f);
        }
    }

    @Test
    void jacobianNormIsTheSpectralNormOfTheFiniteDifferenceJacobian() {
        try (NDManager m = Compute.manager(Device.cpu())) {
            Lben l = net(m, EquilibriumNet.Kind.LBEN, EquilibriumNet.Method.PR).toLben();
            float[] xf = input(20, 8);
            double[] x = new double[20];
            for (int i = 0; i < 20; i++) x[i] = xf[i];
            double h = 1e-6;
            double[][] j = new double[3][20];
            for (int c = 0; c < 20; c++) {
                double[] a = x.clone(), b = x.clone();
                a[c] += h;
                b[c] -= h;
                double[] ya = l.forward(a), yb = l.forward(b);
                for (int r = 0; r < 3; r++) j[r][c] = (ya[r] - yb[r]) / (2 * h);
            }
            double fd = new org.apache.commons.math3.linear.SingularValueDecomposition(
                    new org.apache.commons.math3.linear.Array2DRowRealMatrix(j)).getNorm();
            assertEquals(fd, l.jacobianNorm(x), 1e-5 * (1 + fd));
        }
    }
}
