package io.equilibria.reconstruct;

import io.equilibria.solvers.IterationListener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.TestSupport;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.classical.Tikhonov;
import io.equilibria.reconstruct.classical.TotalVariation;
import io.equilibria.reconstruct.deq.DeqReconstructor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gradient penalty is DᵀD = −div ∇ (checked against TV's own operators); it fills the extended band smoothly. */
class TikhonovGradientTest {
    @Test
    void thePenaltyIsMinusTheDivergenceOfTheGradient() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray p = TestSupport.random(m, new Shape(13, 17), 4);
            var g = TotalVariation.gradient(p);
            NDArray expected = TotalVariation.divergence(g.get(0), g.get(1)).neg();
            double err = io.equilibria.compute.Tensors.norm(penalty(p).sub(expected));
            assertTrue(err < 1e-4, "DtD p vs -div grad p: " + err);
            // constants cost nothing
            assertEquals(0, io.equilibria.compute.Tensors.norm(penalty(m.ones(new Shape(6, 9)))), 1e-6);
        }
    }

    @Test
    void theLaplacianPenaltyIsTheGradientPenaltyTwiceAndKeepsASmoothSceneBetter() {
        try (NDManager m = TestSupport.manager().newSubManager()) {
            NDArray p = TestSupport.random(m, new Shape(13, 17), 5);
            NDArray twice = penalty(penalty(p));
            NDArray lap = new Tikhonov(1, 1, 0, Tikhonov.Regulariser.LAPLACIAN).penalty(p);
            assertTrue(Tensors.norm(lap.sub(twice)) < 1e-4);
            assertEquals(0, Tensors.norm(new Tikhonov(1, 1, 0, Tikhonov.Regulariser.LAPLACIAN).penalty(m.ones(new Shape(6, 9)))), 1e-5);
        }
        // a smooth scene (broad blobs), Gaussian blur 2 px, noise 0.01: the best Laplacian Wiener beats the best gradient one
        int n = 64;
        float[] v = new float[n * n];
        for (int i = 0; i < v.length; i++) {
            int x = i % n, y = i / n;
            v[i] = (float) (0.2 + 0.5 * Math.exp(-((x - 25) * (x - 25) + (y - 30) * (y - 30)) / 150.0)
                    + 0.3 * Math.exp(-((x - 45) * (x - 45) + (y - 40) * (y - 40)) / 60.0));
        }
        Plane scene = new Plane(n, n, v);
        Psf psf = Psf.of(PsfGenerator.gaussian(2, 0), "g2");
        NDManager m = TestSupport.manager();
        double[] best = new double[2];
        try (FftConvolution a = FftConvolution.single(m, psf, n, n, Boundary.EXTENDED); NDManager s = m.newSubManager()) {
            NDArray clean = a.apply(Tensors.of(s, a.extendToDomain(scene)));
            float[] d = clean.toFloatArray();
            java.util.Random r = new java.util.Random(2);
            for (int i = 0; i < d.length; i++) d[i] += (float) (0.01 * r.nextGaussian());
            NDArray y = s.create(d, clean.getShape());
            int k = 0;
            for (Tikhonov.Regulariser reg : new Tikhonov.Regulariser[] {Tikhonov.Regulariser.GRADIENT, Tikhonov.Regulariser.LAPLACIAN}) {
                best[k] = Double.NEGATIVE_INFINITY;
                for (int e = 0; e <= 24; e++) {
                    Result res = new Tikhonov(Math.pow(10, -4 + e / 4.0), 300, 1e-6, reg).reconstruct(a, y, IterationListener.NONE);
                    Plane x = new Plane(n, n, a.toImage(res.x()).toFloatArray());
                    res.x().close();
                    best[k] = Math.max(best[k], io.equilibria.metrics.ImageMetrics.psnr(scene, x, 1));
                }
                k++;
            }
        }
        System.out.printf(java.util.Locale.ROOT, "smooth scene, best Wiener: gradient %.2f dB, Laplacian %.2f dB%n", best[0], best[1]);
        assertTrue(best[1] > best[0] + 0.3, "gradient " + best[0] + " dB, Laplacian " + best[1] + " dB");
    }

    private static NDArray penalty(NDArray p) {
        return new Tikhonov(1, 1, 0, Tikhonov.Regulariser.GRADIENT).penalty(p);
    }

    @Test
    void theDeblurringStartFillsTheUnmeasuredBandInsteadOfDarkeningIt() {
        NDManager m = TestSupport.manager();
        int n = 48;
        float[] v = new float[n * n];
        java.util.Arrays.fill(v, 0.8f); // a bright field, as in bright-field microscopy
        Plane scene = new Plane(n, n, v);
        Psf psf = Psf.of(PsfGenerator.gaussian(2, 0), "g2");
        try (FftConvolution a = FftConvolution.single(m, psf, n, n, Boundary.EXTENDED); NDManager s = m.newSubManager()) {
            NDArray y = a.apply(Tensors.of(s, a.extendToDomain(scene)));
            NDArray x = DeqReconstructor.initialiser(0.01, false).reconstruct(a, y, IterationListener.NONE).x();
            float[] d = x.toFloatArray();
            long w = a.domainShape().get(1);
            double corner = d[0], centre = d[(int) (a.domainShape().get(0) / 2 * w + w / 2)];
            assertEquals(0.8, centre, 0.02);
            assertTrue(corner > 0.7, "the band outside the field of view stays near the scene's level, got " + corner);
        }
    }

    @Test
    void theDiscrepancyPrincipleGivesASmoothImageAStrongerWeightThanATexturedOne() {
        NDManager m = TestSupport.manager();
        int n = 96;
        float[] smooth = new float[n * n], texture = new float[n * n];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < n * n; i++) {
            int x = i % n, y = i / n;
            smooth[i] = (float) (0.5 + 0.3 * Math.exp(-((x - 48) * (x - 48) + (y - 40) * (y - 40)) / 400.0));
            texture[i] = (float) (0.5 + 0.3 * Math.sin(x * 0.9) * Math.cos(y * 0.7) + 0.1 * Math.sin(x * 2.1 + y));
        }
        Psf psf = Psf.of(PsfGenerator.gaussian(1.5, 0), "g1.5");
        double[] lambdas = new double[2];
        int k = 0;
        for (float[] img : new float[][] {smooth, texture}) {
            try (FftConvolution a = FftConvolution.single(m, psf, n, n, Boundary.EXTENDED); NDManager s = m.newSubManager()) {
                Plane scene = new Plane(n, n, img);
                NDArray clean = a.apply(Tensors.of(s, a.extendToDomain(scene)));
                float[] v = clean.toFloatArray();
                for (int i = 0; i < v.length; i++) v[i] += (float) (0.01 * r.nextGaussian());
                NDArray y = s.create(v, clean.getShape());
                lambdas[k++] = io.equilibria.reconstruct.classical.Discrepancy.lambda(y, a.psf(), 0.01);
            }
        }
        assertTrue(lambdas[0] > 5 * lambdas[1], "smooth " + lambdas[0] + " vs textured " + lambdas[1]);
        assertTrue(lambdas[1] > 1e-6 && lambdas[0] < 10, "both inside the search range: " + java.util.Arrays.toString(lambdas));
    }
}
