package io.equilibria.reconstruct.oder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Tensors;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.solvers.IterationListener;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.methods.LearnedReconstruction;
import io.equilibria.solvers.SolverOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** ODER on an 8-view deblurring problem with the shipped DEQ-RED model: B = I is the full-batch DEQ; seeds reproduce. */
class OderReconstructionTest {
    static final int I = 8, N = 64;
    /** Noise per view: enough that the prior term makes the map well conditioned (the test is about the fixed point). */
    static final double SIGMA = 0.04;
    static NDManager m;
    static FftConvolution a;
    static NDArray y;
    static Plane truth;

    @BeforeAll
    static void problem() {
        m = TestSupport.manager().newSubManager();
        truth = ImageFiles.read(Path.of("sample-images/skimage_camera.png")).planes().get(0).centreCrop(N).toUnitRange();
        List<Plane> views = new ArrayList<>();
        for (int k = 0; k < I; k++) views.add(PsfGenerator.gaussianStretched(2, 2, Math.PI * k / I, 25));
        a = FftConvolution.multiFrame(m, Psf.of(views, "views"), N, N, Boundary.PERIODIC);
        float[] d = a.apply(Tensors.of(m, truth)).toFloatArray();
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < d.length; i++) d[i] += (float) (SIGMA * Noise.gaussian(r));
        y = m.create(d, a.rangeShape());
    }

    @AfterAll
    static void close() { m.close(); }

    static Result run(String solver, int iterations, double tol, OderSettings oder) {
        LearnedReconstruction r = new LearnedReconstruction("deq-deblur", DeqForm.RED, false, SIGMA, solver,
                SolverOptions.of(iterations, tol), oder);
        return Autograd.noGrad(() -> r.reconstruct(a, y, IterationListener.NONE));
    }

    static double psnr(Result r) { return ImageMetrics.psnr(truth, Tensors.toPlane(r.x()), 1); }

    @Test
    void fullBatchOderWithTheModelStepIsTheDeqExactly() {
        Result deq = run("anderson", 60, 1e-4, null);
        Result oder = run("anderson", 60, 1e-4, OderSettings.defaults(I).withSafeStep(false));
        assertTrue(deq.x().contentEquals(oder.x()), "B = I must reproduce the full-batch DEQ bit for bit");
        assertEquals(deq.iterations(), oder.iterations());
        assertEquals("oder", oder.method());
        assertEquals(1.0, (Double) oder.parameters().get("blockFraction"), 0);
    }

    /** With every block, ODER's Nesterov iteration (safe step, restart) and Anderson on the same map agree at convergence. */
    @Test
    void fullBatchNesterovAndAndersonReachTheSameFixedPoint() {
        Result anderson = run("anderson", 300, 1e-6, OderSettings.defaults(I));
        Result nesterov = run("nesterov:window=1,average=1", 800, 1e-6, OderSettings.defaults(I));
        assertTrue((Double) nesterov.parameters().get("stepFactor") < 1, "the model's step is too long for plain iteration");
        assertEquals(Boolean.TRUE, anderson.parameters().get("converged"), "Anderson on the safe-step map");
        assertEquals(Boolean.TRUE, nesterov.parameters().get("converged"), "Nesterov on the safe-step map");
        double rel = nesterov.x().sub(anderson.x()).norm().getFloat() / anderson.x().norm().getFloat();
        assertTrue(rel < 1e-3, "relative difference " + rel);
    }

    @Test
    void seededMinibatchRunsAreReproducibleAndCloseToFullBatch() {
        OderSettings o = OderSettings.defaults(2).withSeed(5);
        Result a1 = run(o.solverSpec(), 150, 1e-3, o), a2 = run(o.solverSpec(), 150, 1e-3, o);
        Result b = run(o.solverSpec(), 150, 1e-3, o.withSeed(6));
        assertTrue(a1.x().contentEquals(a2.x()), "same seed, same result");
        assertFalse(a1.x().contentEquals(b.x()), "another seed draws other minibatches");
        assertEquals(0.25, (Double) a1.parameters().get("blockFraction"), 1e-12);
        Result deq = run("anderson", 60, 1e-4, null);
        // a sanity bound only (the benchmark measures the gap): 2 of 8 views per iteration, 150 iterations
        assertTrue(psnr(a1) > psnr(deq) - 1.0, "ODER " + psnr(a1) + " dB vs full-batch DEQ " + psnr(deq) + " dB");
    }
}
