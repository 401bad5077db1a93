package io.equilibria.physics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.image.Plane;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** |<Ax, y> − <x, Aᵀy>| ≤ 1e-5 ||Ax|| ||y|| for every operator, boundary and block restriction. */
class AdjointTest {
    static void checkAdjoint(LinearOperator a, long seed) {
        NDManager m = TestSupport.manager();
        try (NDManager s = m.newSubManager()) {
            NDArray x = TestSupport.random(s, a.domainShape(), seed);
            NDArray y = TestSupport.random(s, a.rangeShape(), seed + 1);
            NDArray ax = a.apply(x);
            NDArray aty = a.adjoint(y);
            assertEquals(a.rangeShape(), ax.getShape());
            assertEquals(a.domainShape(), aty.getShape());
            double lhs = TestSupport.dot64(ax, y), rhs = TestSupport.dot64(x, aty);
            double scale = Math.sqrt(TestSupport.dot64(ax, ax) * TestSupport.dot64(y, y));
            assertTrue(Math.abs(lhs - rhs) <= 1e-5 * scale,
                    a.spec() + ": <Ax,y>=" + lhs + " <x,A^Ty>=" + rhs + " scale " + scale);
        }
    }

    static Psf asymmetricPsf(int w, int h, int slices) {
        List<Plane> planes = new ArrayList<>();
        for (int k = 0; k < slices; k++) {
            float[] d = new float[w * h];
            for (int i = 0; i < d.length; i++) d[i] = (float) (1 + ((i * 7 + k * 3) % 5) + i * 0.1);
            planes.add(new Plane(w, h, d));
        }
        return Psf.of(planes, "test");
    }

    @Test
    void convolutionIsAdjointForEveryBoundaryAndPsfShape() {
        for (Boundary b : Boundary.values()) {
            for (int[] ps : new int[][] {{5, 5}, {4, 6}, {7, 3}}) {
                try (FftConvolution a = FftConvolution.single(TestSupport.manager(), asymmetricPsf(ps[0], ps[1], 1), 37, 29, b)) {
                    checkAdjoint(a, 11);
                }
            }
        }
    }

    @Test
    void multiFrameAndItsBlocksAreAdjoint() {
        try (FftConvolution a = FftConvolution.multiFrame(TestSupport.manager(), asymmetricPsf(5, 7, 4), 32, 40, Boundary.EXTENDED)) {
            assertEquals(4, a.blockCount());
            checkAdjoint(a, 3);
            try (LinearOperator sub = a.restrict(1, 3)) {
                checkAdjoint(sub, 5);
                assertEquals(2, sub.rangeShape().get(0));
            }
        }
    }

    @Test
    void blockCsOperatorsAndGroupsAreAdjoint() {
        for (SensingMatrix.Kind k : SensingMatrix.Kind.values()) {
            try (BlockCompressedSensing a = BlockCompressedSensing.create(TestSupport.manager(), k, 50, 70, 16, 0.3, 4, 9)) {
                checkAdjoint(a, 21);
                try (LinearOperator sub = a.restrict(0, 2)) {
                    checkAdjoint(sub, 23);
                }
            }
        }
    }

    @Test
    void restrictedMeasurementsMatchRestrictedOperator() {
        NDManager m = TestSupport.manager();
        try (BlockCompressedSensing a = BlockCompressedSensing.create(m, SensingMatrix.Kind.GAUSSIAN, 64, 64, 32, 0.25, 8, 1);
             LinearOperator sub = a.restrict(2, 5); NDManager s = m.newSubManager()) {
            NDArray x = TestSupport.random(s, a.domainShape(), 4);
            NDArray full = a.apply(x);
            NDArray part = sub.apply(x);
            assertTrue(a.measurementsOf(full, 2, 5).sub(part).abs().max().getFloat() < 1e-5);
        }
    }

    /** The cross-validation split: every 10th row held out, the two parts measure what the whole does, and are adjoint. */
    @Test
    void crossValidationSplitPartitionsTheRows() {
        NDManager m = TestSupport.manager();
        for (SensingMatrix.Kind k : SensingMatrix.Kind.values()) {
            try (BlockCompressedSensing a = BlockCompressedSensing.create(m, k, 64, 64, 32, 0.25, 1, 3); NDManager s = m.newSubManager()) {
                NDArray x = TestSupport.random(s, a.domainShape(), 6);
                NDArray y = a.apply(x);
                BlockCompressedSensing.Split sp = a.split(y, 10);
                try (BlockCompressedSensing fit = sp.fit(); BlockCompressedSensing val = sp.validation()) {
                    int rows = a.rows(); // 256 rows: 25 held out (rows 9, 19, ..., 249)
                    assertEquals(25, val.rows());
                    assertEquals(rows - 25, fit.rows());
                    assertTrue(fit.apply(x).sub(sp.yFit()).abs().max().getFloat() < 1e-5);
                    assertTrue(val.apply(x).sub(sp.yValidation()).abs().max().getFloat() < 1e-5);
                    assertEquals(y.get(":, 19").getFloat(0), sp.yValidation().get(":, 1").getFloat(0), 1e-6);
                    assertEquals(y.get(":, 10").getFloat(3), sp.yFit().get(":, 9").getFloat(3), 1e-6);
                    double energy = sq(y), parts = sq(sp.yFit()) + sq(sp.yValidation());
                    assertEquals(energy, parts, 1e-4 * energy);
                    checkAdjoint(fit, 7);
                    checkAdjoint(val, 8);
                    assertEquals(1 - 25.0 / 1024, val.nullSpaceFraction(), 1e-9);
                }
            }
        }
    }

    private static double sq(NDArray a) {
        return a.square().sum().getFloat();
    }

    @Test
    void sensingRowsAreOrthonormal() {
        for (SensingMatrix.Kind k : SensingMatrix.Kind.values()) {
            int m = 40, n = 256;
            float[] phi = SensingMatrix.create(k, m, n, 5);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    double d = 0;
                    for (int c = 0; c < n; c++) d += phi[i * n + c] * phi[j * n + c];
                    assertEquals(i == j ? 1 : 0, d, 1e-5, k + " rows " + i + "," + j);
                }
            }
        }
    }

    @Test
    void normEstimateOfUnitSumPsfIsOne() {
        try (FftConvolution a = FftConvolution.single(TestSupport.manager(), Psf.of(PsfGenerator.gaussian(1.5, 0), "g"), 64, 64, Boundary.PERIODIC)) {
            // power iteration converges from below, slowly when eigenvalues cluster near the top (low frequencies)
            double n = a.normEstimate(TestSupport.manager(), 50, 1);
            assertTrue(n <= 1 + 1e-5 && n > 0.98, "norm estimate " + n);
        }
    }
}
