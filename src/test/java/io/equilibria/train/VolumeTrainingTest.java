package io.equilibria.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.equilibria.compute.Compute;
import io.equilibria.models.ModelStore;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.train.loop.AdamOptimizer;
import ai.djl.training.tracker.Tracker;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** 3D DEQ training: deterministic volume problems, optimiser steps on tiny z-stacks. */
class VolumeTrainingTest {
    static {
        // this class runs in its own JVM (training-tests): before the engine loads, cap oneDNN at SSE4.1 as the 3D
        // training run does. Under the AVX2 cap the DnCNN's weight gradients on the orientation batches came out NaN
        // in most steps (3 of 4 and 4 of 4 in two CLI runs), under SSE4.1 in none (6 of 6).
        if (System.getProperty("equilibria.onednn.isa") == null) System.setProperty("equilibria.onednn.isa", "SSE41");
    }

    static final VolumeProblemFactory.Settings TINY = new VolumeProblemFactory.Settings(16, 8, 8, 5, 5, 2, 100, 1000, 1, 2);

    @Test
    void problemsAreDeterministicAndScaledLikeInference() {
        try (NDManager m = Compute.manager(ai.djl.Device.cpu())) {
            VolumeProblemFactory a = new VolumeProblemFactory(m, TINY, 7), b = new VolumeProblemFactory(m, TINY, 7);
            try (ReconstructionProblem p = a.make(8, new SplittableRandom(3)); ReconstructionProblem q = b.make(8, new SplittableRandom(3))) {
                assertEquals(new ai.djl.ndarray.types.Shape(12, 20, 20), p.truth().getShape()); // domain = field + PSF - 1
                assertEquals(new ai.djl.ndarray.types.Shape(8, 16, 16), p.y().getShape());
                assertArrayEquals(p.y().toFloatArray(), q.y().toFloatArray());
                assertArrayEquals(p.truth().toFloatArray(), q.truth().toFloatArray());
                assertEquals(p.sigma(), q.sigma());
                assertEquals(p.description(), q.description());
                assertTrue(p.sigma() > 0 && p.sigma() < 0.5, "sigma " + p.sigma());
                // the clean blurred stack's 99.8th percentile is 1 (the learned methods' scale)
                try (NDArray ax = p.operator().apply(p.truth())) {
                    double pct = io.equilibria.image.Stats.percentile(new float[][] {ax.toType(DataType.FLOAT32, false).toFloatArray()}, 99.8);
                    assertEquals(1, pct, 1e-3);
                }
            }
        }
    }

    @Test
    void twoStepsOnTinyVolumesChangeTheParameters() {
        try (NDManager m = Compute.manager(ai.djl.Device.cpu())) {
            DeqModel.Config mc = ModelStore.load("deq-deblur", m).block() instanceof DeqModel d ? d.config().withVolume(true) : null;
            DeqModel model = new DeqModel(mc).initialize(m);
            DeqTraining.copy((io.equilibria.priors.TrainableDenoiser) io.equilibria.priors.DenoiserHolder.load("deq-deblur", m), model.denoiser(), m);
            VolumeProblemFactory f = new VolumeProblemFactory(m, TINY, 11);
            try (AdamOptimizer adam = new AdamOptimizer(m, Tracker.fixed(1e-3f))) {
                DeqTrainer t = new DeqTrainer(new DeqTrainer.Config(io.equilibria.reconstruct.deq.DeqForm.RED, "jfb", 10, 1e-3, 8, 1e-4, 1e-3), model, adam);
                float[] before = model.denoiser().getParameters().get(0).getValue().getArray().toFloatArray();
                float[] gammaBefore = model.scalars().gamma().toFloatArray();
                for (int step = 0; step < 2; step++) {
                    List<ReconstructionProblem> batch = f.batch(1, new SplittableRandom(step));
                    try {
                        DeqTrainer.Step s = t.step(batch);
                        assertTrue(Double.isFinite(s.loss()), "step " + step + ": loss " + s.loss());
                        assertTrue(s.forwardIterations() > 0);
                    } finally {
                        batch.forEach(ReconstructionProblem::close);
                    }
                }
                float[] after = model.denoiser().getParameters().get(0).getValue().getArray().toFloatArray();
                assertFalse(java.util.Arrays.equals(before, after), "the denoiser's weights moved");
                assertNotEquals(gammaBefore[0], model.scalars().gamma().toFloatArray()[0], "gamma moved");
            }
        }
    }
}
