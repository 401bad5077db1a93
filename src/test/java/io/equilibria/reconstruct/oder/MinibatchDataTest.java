package io.equilibria.reconstruct.oder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.image.Plane;
import io.equilibria.physics.BlockCompressedSensing;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.LinearOperator;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.SensingMatrix;
import io.equilibria.reconstruct.deq.DataTerm;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** ODER's minibatch data term: unbiasedness (in expectation over draws), raw scaling, B = I and the samplers. */
class MinibatchDataTest {
    static final int I = 8;

    static LinearOperator multiFrame(NDManager m) {
        List<Plane> views = new ArrayList<>();
        for (int k = 0; k < I; k++) views.add(PsfGenerator.gaussianStretched(1.5, 2, Math.PI * k / I, 15));
        return FftConvolution.multiFrame(m, Psf.of(views, "views"), 32, 32, Boundary.EXTENDED);
    }

    static LinearOperator blockCs(NDManager m) {
        return BlockCompressedSensing.create(m, SensingMatrix.Kind.GAUSSIAN, 64, 64, 32, 0.25, I, 3);
    }

    private static double relErr(NDArray a, NDArray b) {
        NDArray a64 = a.toType(DataType.FLOAT64, false), b64 = b.toType(DataType.FLOAT64, false);
        return a64.sub(b64).norm().getDouble() / b64.norm().getDouble();
    }

    /** The mean of n draws of {@code estimate} (the first is {@code first}). */
    private static NDArray mean(NDArray first, int n, java.util.function.Supplier<NDArray> estimate) {
        NDArray sum = first;
        for (int k = 1; k < n; k++) sum = sum.add(estimate.get());
        return sum.div(n);
    }

    private static NDArray state(NDManager m, LinearOperator a, long seed) {
        Shape d = a.domainShape();
        return TestSupport.random(m, new Shape(1, 1, d.get(0), d.get(1)), seed).abs();
    }

    /** The mean over all C(I, B) equally likely uniform draws is exactly the full gradient; one draw is far from it. */
    @Test
    void uniformMinibatchGradientIsUnbiasedOverAllDraws() {
        for (boolean cs : new boolean[] {false, true}) {
            try (NDManager m = TestSupport.manager().newSubManager()) {
                LinearOperator a = cs ? blockCs(m) : multiFrame(m);
                NDArray x = state(m, a, 1);
                NDArray y = a.apply(state(m, a, 2).reshape(a.domainShape()));
                NDArray full = DataTerm.full(List.of(a), List.of(y)).gradient(x);
                // every pair {i, j} once, each with the unbiased weight I/B
                NDArray sum = full.zerosLike();
                int pairs = 0;
                for (int i = 0; i < I; i++) {
                    for (int j = i + 1; j < I; j++) {
                        try (LinearOperator sub = a.restrict(i, j)) {
                            NDArray r = sub.apply(x.reshape(a.domainShape())).sub(a.measurementsOf(y, i, j));
                            sum = sum.add(sub.adjoint(r).mul((double) I / 2 * a.dataScale()).reshape(full.getShape()));
                        }
                        pairs++;
                    }
                }
                assertEquals(28, pairs);
                assertTrue(relErr(sum.div(pairs), full) < 1e-5, (cs ? "cs" : "multi-frame") + " exact mean " + relErr(sum.div(pairs), full));
                // the term itself, over many seeded draws: the Monte-Carlo mean converges to the full gradient
                MinibatchData data = new MinibatchData(List.of(a), List.of(y), BlockSampler.Kind.UNIFORM, 2, MinibatchData.Scaling.UNBIASED, 11);
                NDArray one = data.gradient(x);
                double single = relErr(one, full);
                double err = relErr(mean(one, 1500, () -> data.gradient(x)), full);
                assertTrue(single > 0.1, "one draw should differ from the full gradient, got " + single);
                assertTrue(err < single / 10, "Monte-Carlo mean error " + err + " vs single draw " + single);
                assertEquals(0.25, data.blockFraction(), 1e-12);
            }
        }
    }

    @Test
    void stratifiedDrawsAreUnbiasedEvenWithUnevenStrata() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            LinearOperator a = multiFrame(m);
            NDArray x = state(m, a, 4);
            NDArray y = a.apply(state(m, a, 5).reshape(a.domainShape()));
            NDArray full = DataTerm.full(List.of(a), List.of(y)).normal(x);
            // B = 3 of 8: strata of sizes 3, 2, 3 (weights 3, 2, 3): enumerate every draw (18 equally likely ones)
            BlockSampler s = new BlockSampler(BlockSampler.Kind.STRATIFIED, I, 3);
            java.util.Set<String> seen = new java.util.HashSet<>();
            SplittableRandom r = new SplittableRandom(1);
            for (int k = 0; k < 2000; k++) {
                BlockSampler.Draw d = s.draw(r);
                seen.add(java.util.Arrays.toString(d.blocks()));
                double sumInv = 0;
                for (double p : d.inclusion()) sumInv += 1 / p;
                assertEquals(8, sumInv, 1e-12); // one block per stratum, weight = stratum size
            }
            assertEquals(18, seen.size());
            MinibatchData data = new MinibatchData(List.of(a), List.of(y), BlockSampler.Kind.STRATIFIED, 3, MinibatchData.Scaling.UNBIASED, 2);
            NDArray one = data.normal(x);
            double single = relErr(one, full);
            double err = relErr(mean(one, 1500, () -> data.normal(x)), full);
            assertTrue(err < single / 10, "stratified Monte-Carlo mean error " + err + " vs single draw " + single);
        }
    }

    /** Raw scaling: the mean is (B/I) of the full gradient, and RED's weight is scaled by B/I to keep the fixed point. */
    @Test
    void rawScalingHasMeanBOverIAndScalesThePrior() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            LinearOperator a = blockCs(m);
            NDArray x = state(m, a, 6);
            NDArray y = a.apply(state(m, a, 7).reshape(a.domainShape()));
            NDArray full = DataTerm.full(List.of(a), List.of(y)).gradient(x);
            MinibatchData data = new MinibatchData(List.of(a), List.of(y), BlockSampler.Kind.UNIFORM, 2, MinibatchData.Scaling.RAW, 3);
            assertEquals(0.25, data.priorScale(), 1e-12);
            double err = relErr(mean(data.gradient(x), 1500, () -> data.gradient(x)), full.mul(0.25));
            assertTrue(err < 0.05, "raw mean " + err);
        }
    }

    /** With B = I the term is the full gradient bit for bit, and deterministic. */
    @Test
    void fullBatchIsExact() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            LinearOperator a = multiFrame(m);
            NDArray x = state(m, a, 8);
            NDArray y = a.apply(state(m, a, 9).reshape(a.domainShape()));
            NDArray full = DataTerm.full(List.of(a), List.of(y)).gradient(x);
            MinibatchData data = new MinibatchData(List.of(a), List.of(y), BlockSampler.Kind.UNIFORM, I, MinibatchData.Scaling.UNBIASED, 3);
            assertTrue(data.deterministic());
            assertTrue(full.contentEquals(data.gradient(x)));
            assertEquals(1.0, data.blockFraction(), 0);
        }
    }

    /** Unbiased weights raise a draw's curvature: CS row groups of orthonormal rows give exactly I/B. */
    @Test
    void curvatureOfUnbiasedCsDrawsIsIOverB() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            LinearOperator a = blockCs(m);
            NDArray y = a.apply(state(m, a, 7).reshape(a.domainShape()));
            double full = DataTerm.full(List.of(a), List.of(y)).curvature(0);
            double draw = new MinibatchData(List.of(a), List.of(y), BlockSampler.Kind.UNIFORM, 2, MinibatchData.Scaling.UNBIASED, 3).curvature(0);
            assertEquals(1.05, full, 0.02);
            assertEquals(4 * 1.05, draw, 0.1);
        }
    }
}
