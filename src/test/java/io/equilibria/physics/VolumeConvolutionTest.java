package io.equilibria.physics;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.errors.InputException;
import io.equilibria.image.Volume;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 3D FFT convolution: adjoint for every boundary, equal to a direct spatial sum, and its errors. */
class VolumeConvolutionTest {
    static Volume asymmetricPsf(int w, int h, int d) {
        float[] v = new float[w * h * d];
        for (int i = 0; i < v.length; i++) v[i] = (float) (1 + ((i * 7) % 5) + i * 0.1);
        return new Volume(w, h, d, v);
    }

    static Volume random(int w, int h, int d, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[w * h * d];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
        return new Volume(w, h, d, v);
    }

    @Test
    void adjointForEveryBoundaryAndPsfShape() {
        for (Boundary b : Boundary.values()) {
            for (int[] ps : new int[][] {{5, 5, 5}, {4, 6, 3}, {3, 3, 8}}) {
                try (VolumeConvolution a = VolumeConvolution.create(TestSupport.manager(), asymmetricPsf(ps[0], ps[1], ps[2]), "t",
                        13, 11, 9, b)) {
                    AdjointTest.checkAdjoint(a, 7);
                }
            }
        }
    }

    /** Output voxel (z, y, x) of the extended model is Σ psf(k) · x(i + p − 1 − k) over the domain: a 'valid' correlation. */
    @Test
    void extendedMatchesDirectSum() {
        Volume psf = asymmetricPsf(3, 4, 5);
        int w = 7, h = 6, d = 6;
        double sum = psf.sum();
        try (VolumeConvolution a = VolumeConvolution.create(TestSupport.manager(), psf, "t", w, h, d, Boundary.EXTENDED);
             NDManager s = TestSupport.manager().newSubManager()) {
            long[] dom = a.domainShape().getShape();
            Volume x = random((int) dom[2], (int) dom[1], (int) dom[0], 3);
            NDArray y = a.apply(s.create(x.data(), a.domainShape()));
            float[] got = y.toFloatArray();
            float[] want = new float[w * h * d];
            for (int z = 0; z < d; z++) for (int yy = 0; yy < h; yy++) for (int xx = 0; xx < w; xx++) {
                double acc = 0;
                for (int kz = 0; kz < psf.depth(); kz++) for (int ky = 0; ky < psf.height(); ky++) for (int kx = 0; kx < psf.width(); kx++) {
                    acc += psf.get(kx, ky, kz) / sum * x.get(xx + psf.width() - 1 - kx, yy + psf.height() - 1 - ky, z + psf.depth() - 1 - kz);
                }
                want[(z * h + yy) * w + xx] = (float) acc;
            }
            assertArrayEquals(want, got, 1e-5f);
        }
    }

    /** A delta in the middle of the field spreads all its flux inside the field (the PSF fits), for every boundary. */
    @Test
    void centredDeltaKeepsItsFlux() {
        Volume psf = asymmetricPsf(3, 5, 7);
        int w = 9, h = 9, d = 9;
        for (Boundary b : Boundary.values()) {
            try (VolumeConvolution a = VolumeConvolution.create(TestSupport.manager(), psf, "t", w, h, d, b);
                 NDManager s = TestSupport.manager().newSubManager()) {
                float[] delta = new float[w * h * d];
                delta[(4 * h + 4) * w + 4] = 1;
                NDArray back = a.toImage(a.adjoint(s.create(delta, a.rangeShape())));
                assertEquals(a.rangeShape(), back.getShape());
                double total = 0;
                for (float v : back.toFloatArray()) total += v;
                assertEquals(1.0, total, 1e-4, b.toString());
            }
        }
    }

    @Test
    void initialGuessMirrorsTheStackIntoTheBand() {
        try (VolumeConvolution a = VolumeConvolution.create(TestSupport.manager(), asymmetricPsf(3, 3, 5), "t", 6, 5, 5, Boundary.EXTENDED);
             NDManager s = TestSupport.manager().newSubManager()) {
            Volume y = random(6, 5, 5, 9);
            NDArray g = a.initialGuess(s.create(y.data(), a.rangeShape()));
            assertEquals(a.domainShape(), g.getShape());
            assertArrayEquals(y.data(), a.toImage(g).toFloatArray(), 0f);
        }
    }

    @Test
    void psfLargerThanTheVolumeIsAnError() {
        InputException e = assertThrows(InputException.class, () -> VolumeConvolution.create(TestSupport.manager(),
                asymmetricPsf(5, 5, 21), "tall", 32, 32, 12, Boundary.EXTENDED));
        assertTrue(e.getMessage().contains("larger than the volume"), e.getMessage());
        assertEquals(1, VolumeConvolution.reflect(-1, 4));
        assertEquals(2, VolumeConvolution.reflect(4, 4));
    }
}
