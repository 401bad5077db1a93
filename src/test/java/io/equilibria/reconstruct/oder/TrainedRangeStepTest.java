package io.equilibria.reconstruct.oder;

import io.equilibria.reconstruct.deq.StepSize;

import ai.djl.ndarray.NDArray;
import io.equilibria.TestSupport;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.deq.DataTerm;
import io.equilibria.reconstruct.deq.DeqScalars;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DEQ's step above the trained noise range: unchanged up to σ = 0.05, then shortened so that γ·(L + w(σ)) stays
 * at its σ = 0.05 value while the prior weight w = τ(σ/0.03)² keeps growing.
 */
class TrainedRangeStepTest {
    @Test
    void theStepShrinksOnlyAboveTheTrainedNoiseRange() {
        var m = TestSupport.manager();
        try (FftConvolution a = FftConvolution.single(m, Psf.of(PsfGenerator.gaussian(2, 0), "g"), 32, 32, Boundary.EXTENDED);
             DeqScalars s = new DeqScalars(m, 3.0, 0.3, 0.7).withTauExponent(2);
             NDArray y = m.zeros(a.rangeShape());
             DataTerm d = DataTerm.FULL.create(List.of(a), List.of(y))) {
            for (double sigma : new double[] {0.001, 0.02, 0.05}) assertEquals(1.0, StepSize.trainedRangeFactor(d, s, sigma), sigma + "");
            double l = d.curvature(0), wMax = StepSize.priorWeight(s, StepSize.TRAINED_SIGMA_MAX, d);
            double previous = 1;
            for (double sigma : new double[] {0.06, 0.1, 0.2}) {
                double k = StepSize.trainedRangeFactor(d, s, sigma);
                assertTrue(k < previous, sigma + ": " + k);
                assertEquals(l + wMax, k * (l + StepSize.priorWeight(s, sigma, d)), 1e-9 * (l + wMax), "gamma (L + w) held at sigma 0.05");
                previous = k;
            }
        }
    }
}
