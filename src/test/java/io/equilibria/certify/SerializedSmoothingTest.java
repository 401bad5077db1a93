package io.equilibria.certify;

import io.equilibria.classify.EquilibriumNet;

import io.equilibria.classify.EquilibriumClassifier;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.certify.RandomizedSmoothing;
import io.equilibria.certify.SerializedSmoothing;
import io.equilibria.certify.SrsCertificate;
import io.equilibria.compute.Compute;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SerializedSmoothingTest {
    private static EquilibriumNet net(NDManager m) {
        EquilibriumNet net = new EquilibriumNet(new EquilibriumNet.Config(EquilibriumNet.Kind.MONDEQ, 1, 4, 5, 12, 3, 0.3, 1, 1e-3,
                EquilibriumNet.Method.PR, 1.0, 1e-5, 5000, 7)).initialize(m);
        SplittableRandom r = new SplittableRandom(5);
        for (var p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = a.toFloatArray();
            for (int i = 0; i < v.length; i++) v[i] += (float) (0.15 * r.nextGaussian());
            a.set(v);
        }
        return net;
    }

    private static float[] input() {
        SplittableRandom r = new SplittableRandom(1);
        float[] x = new float[20];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextDouble();
        return x;
    }

    @Test
    void srsWithTheSolverRunToConvergencePredictsExactlyAsTheStandardDeq() {
        try (NDManager m = Compute.manager(Device.cpu()); EquilibriumClassifier c = new EquilibriumClassifier(net(m))) {
            float[] x = input();
            double sigma = 0.3;
            RandomizedSmoothing.Certificate rs = new RandomizedSmoothing(c, sigma).certify(x, 50, 2000, 0.001, 100, 42);
            // 400 warm-started steps per batch: converged, so every SRS label must be the standard DEQ's label
            SerializedSmoothing.Certificate srs = new SerializedSmoothing(c, sigma).certify(x, 50, 2000, 0.001, 100, 42, 400, 300,
                    SrsCertificate.Variant.PAPER);
            assertEquals(rs.selectedLabel(), srs.selectedLabel());
            assertEquals(rs.nA(), srs.nA(), "same noise, same labels: same count");
            assertEquals(300, srs.agree(), "every re-checked sample agrees");
            assertEquals(srs.n2(), srs.n1());
            assertTrue(rs.nA() > 1000 && rs.nA() < 2000, "the test input should be neither trivial nor hopeless: nA = " + rs.nA());
            // with a mismatch bound of 0 the SRS certificate is Cohen's
            SrsCertificate.Result zero = SrsCertificate.withMismatch(srs.selectedLabel(), srs.nA(), srs.n(), 0, 0.001, sigma);
            assertEquals(rs.radius(), zero.radius(), 1e-12);
            assertEquals(rs.label(), zero.label());
            // the paper's certificate discounts the count, so its radius is below Cohen's
            assertTrue(srs.radius() < rs.radius(), srs.radius() + " vs " + rs.radius());
        }
    }

    @Test
    void fewWarmStartedStepsAreCheaperAndMostlyAgree() {
        try (NDManager m = Compute.manager(Device.cpu()); EquilibriumClassifier c = new EquilibriumClassifier(net(m))) {
            float[] x = input();
            SerializedSmoothing.Certificate one = new SerializedSmoothing(c, 0.3).certify(x, 50, 2000, 0.001, 100, 42, 1, 300,
                    SrsCertificate.Variant.PAPER);
            SerializedSmoothing.Certificate conv = new SerializedSmoothing(c, 0.3).certify(x, 50, 2000, 0.001, 100, 42, 400, 300,
                    SrsCertificate.Variant.PAPER);
            assertTrue(one.steps() < conv.steps() / 10, one.steps() + " vs " + conv.steps());
            assertTrue(one.agree() > 200, "S = 1 should agree with the standard DEQ on most re-checked samples: " + one.agree());
            SerializedSmoothing.Certificate pub = new SerializedSmoothing(c, 0.3).certify(x, 50, 2000, 0.001, 100, 42, 1, 300,
                    SrsCertificate.Variant.PUBLIC_CODE);
            assertTrue(pub.radius() >= one.radius(), "the public code's variant gives radii at least the paper's");
        }
    }
}
