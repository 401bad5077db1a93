package io.equilibria.reconstruct;

import io.equilibria.solvers.IterationListener;

import io.equilibria.reconstruct.methods.MethodConfig;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.physics.BlockCompressedSensing;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.SensingMatrix;
import io.equilibria.reconstruct.classical.TotalVariation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every deblurring method improves a blurred noisy scene; CS-TV beats back-projection widely; TV adjointness. */
class ClassicalMethodsTest {
    @Test
    void divergenceIsMinusTheAdjointOfTheGradient() {
        NDManager m = TestSupport.manager();
        try (NDManager s = m.newSubManager()) {
            NDArray x = TestSupport.random(s, new ai.djl.ndarray.types.Shape(13, 17), 1);
            NDArray px = TestSupport.random(s, x.getShape(), 2), py = TestSupport.random(s, x.getShape(), 3);
            var g = TotalVariation.gradient(x);
            double lhs = TestSupport.dot64(g.get(0), px) + TestSupport.dot64(g.get(1), py);
            double rhs = -TestSupport.dot64(x, TotalVariation.divergence(px, py));
            assertEquals(lhs, rhs, 1e-4 * Math.abs(lhs) + 1e-4);
        }
    }

    @Test
    void everyDeblurMethodImprovesOnTheBlurredImage() {
        NDManager m = TestSupport.manager();
        Plane scene = TestSupport.scene(64, 64);
        Psf psf = Psf.of(PsfGenerator.gaussian(2, 0), "g2");
        try (FftConvolution a = FftConvolution.single(m, psf, 64, 64, Boundary.EXTENDED); NDManager s = m.newSubManager()) {
            Plane clean = Tensors.toPlane(a.apply(Tensors.of(s, a.extendToDomain(scene))));
            Plane noisy = new Plane(64, 64, new Noise(0.01, 0, 7).apply(clean.data()));
            NDArray y = Tensors.of(s, noisy);
            double blurred = ImageMetrics.psnr(scene, noisy, 1);
            for (String method : MethodConfig.DEBLUR_METHODS) {
                if (method.equals("pnp")) continue; // no shipped DEQ-PnP model (TrainDeqCommandTest covers pnp)
                if (method.equals("oder")) continue; // needs several measurement blocks (OderReconstructionTest)
                Result r = MethodConfig.of(method).create(0.01, false).reconstruct(a, y, IterationListener.NONE);
                double psnr = ImageMetrics.psnr(scene, Tensors.toPlane(a.toImage(r.x())), 1);
                assertTrue(psnr > blurred + 1, method + ": " + psnr + " dB vs blurred " + blurred + " dB");
                assertTrue(r.iterations() > 0);
            }
        }
    }

    @Test
    void csTvBeatsBackProjectionWidely() {
        NDManager m = TestSupport.manager();
        Plane scene = TestSupport.scene(64, 64);
        for (SensingMatrix.Kind kind : SensingMatrix.Kind.values()) {
            try (BlockCompressedSensing a = BlockCompressedSensing.create(m, kind, 64, 64, 32, 0.25, 8, 3);
                 NDManager s = m.newSubManager()) {
                NDArray x = Tensors.of(s, scene);
                Plane clean = Tensors.toPlane(a.apply(x));
                NDArray y = Tensors.of(s, new Plane(clean.width(), clean.height(), new Noise(0.01, 0, 2).apply(clean.data())));
                double back = ImageMetrics.psnr(scene, Tensors.toPlane(a.toImage(a.adjoint(y))), 1);
                Result r = MethodConfig.of("tv").create(0.01, true).reconstruct(a, y, IterationListener.NONE);
                double tv = ImageMetrics.psnr(scene, Tensors.toPlane(a.toImage(r.x())), 1);
                assertTrue(tv > back + 8, kind + ": TV " + tv + " dB vs A^T y " + back + " dB");
            }
        }
    }
}
