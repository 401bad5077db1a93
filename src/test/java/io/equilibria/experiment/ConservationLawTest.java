package io.equilibria.experiment;

import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The linear-DEQ conservation law through the engine's solvers and implicit gradients (float64). */
class ConservationLawTest {
    private static RealMatrix[] matrixProblem(long seed) {
        Random r = new Random(seed);
        RealMatrix x = GradientFlowStudy.gaussian(r, 200, 3, 1);
        RealMatrix a = GradientFlowStudy.gaussian(r, 4, 3, 1);
        RealMatrix w = GradientFlowStudy.gaussian(r, 4, 4, 0.2);
        RealMatrix u = GradientFlowStudy.gaussian(r, 4, 3, 0.1);
        return new RealMatrix[] {x, x.multiply(a.transpose()), w, u};
    }

    @Test
    void eachStepChangesQByExactlyEtaSquaredTimesTheGradientGram() {
        RealMatrix[] p = matrixProblem(1);
        double eta = 0.02;
        List<Double> errors = new ArrayList<>();
        List<Double> changes = new ArrayList<>();
        try (NDManager m = TestSupport.manager().newSubManager()) {
            LinearDeqExperiment.trace(m, p[0], p[1], p[2], p[3], 25, eta, (s, err) -> {
                errors.add(err);
                RealMatrix predicted = s.gw().multiply(s.gw().transpose()).add(s.gu().multiply(s.gu().transpose())).scalarMultiply(eta * eta);
                changes.add(GradientFlowStudy.maxAbs(predicted));
            });
        }
        for (int i = 0; i < errors.size(); i++) {
            assertTrue(errors.get(i) < 1e-10, "step " + i + " identity error " + errors.get(i));
            assertTrue(changes.get(i) > 1e-7, "the identity must be tested on steps that really change Q");
        }
    }

    @Test
    void theScalarCaseConservesItsCircleUpToTheSameTerm() {
        Random r = new Random(2);
        double[][] xs = new double[300][1], ts = new double[300][1];
        for (int i = 0; i < 300; i++) {
            xs[i][0] = r.nextDouble();
            ts[i][0] = 2 * xs[i][0];
        }
        List<Double> errors = new ArrayList<>();
        try (NDManager m = TestSupport.manager().newSubManager()) {
            LinearDeqExperiment.trace(m, new Array2DRowRealMatrix(xs), new Array2DRowRealMatrix(ts),
                    new Array2DRowRealMatrix(new double[][] {{0.8}}), new Array2DRowRealMatrix(new double[][] {{0.1}}), 20, 0.01,
                    (s, err) -> errors.add(err));
        }
        assertEquals(20, errors.size());
        errors.forEach(e -> assertTrue(e < 1e-10, "identity error " + e));
    }

    @Test
    void theDriftOfQVanishesInProportionToEta() {
        RealMatrix[] p = matrixProblem(3);
        double time = 0.4;
        double[] ratio = new double[2];
        try (NDManager m = TestSupport.manager().newSubManager()) {
            for (int k = 0; k < 2; k++) {
                double eta = 0.01 / (1 << k);
                GradientFlowStudy s = new GradientFlowStudy(m, GradientFlowStudy.Activation.IDENTITY, p[0], p[1], p[2], p[3]);
                s.train((int) Math.round(time / eta), eta, st -> { });
                double drift = GradientFlowStudy.q(s.w(), s.u()).subtract(GradientFlowStudy.q(p[2], p[3])).getFrobeniusNorm();
                ratio[k] = drift / eta;
            }
        }
        assertTrue(ratio[0] > 0);
        assertEquals(1.0, ratio[1] / ratio[0], 0.1, "drift/eta at eta and eta/2: " + ratio[0] + ", " + ratio[1]);
    }

    @Test
    void theSingleIndexModelConvergesLinearlyAndDoesNotConserveQ() {
        Random r = new Random(4);
        double[][] xs = new double[300][1], ts = new double[300][1];
        for (int i = 0; i < 300; i++) {
            xs[i][0] = r.nextGaussian();
            ts[i][0] = Math.tanh(2 * xs[i][0]);
        }
        List<double[]> path = new ArrayList<>();
        try (NDManager m = TestSupport.manager().newSubManager()) {
            GradientFlowStudy s = new GradientFlowStudy(m, GradientFlowStudy.Activation.TANH, new Array2DRowRealMatrix(xs),
                    new Array2DRowRealMatrix(ts), new Array2DRowRealMatrix(new double[][] {{0.0}}),
                    new Array2DRowRealMatrix(new double[][] {{-0.1}}));
            s.train(300, 0.1, st -> path.add(new double[] {st.u().getEntry(0, 0), st.w().getEntry(0, 0), st.q().getEntry(0, 0)}));
        }
        double[] d = path.stream().mapToDouble(v -> Math.hypot(v[0] - 2, v[1])).toArray();
        for (int i = 1; i < d.length; i++) assertTrue(d[i] < d[i - 1], "distance must keep falling at epoch " + i);
        // linear convergence: after the transient the per-epoch log-ratio is nearly constant
        double early = Math.log(d[160] / d[150]) / 10, late = Math.log(d[299] / d[289]) / 10;
        assertTrue(early < 0 && late < 0);
        assertEquals(1.0, late / early, 0.2, "log-distance decrements " + early + " vs " + late);
        assertTrue(Math.abs(path.get(299)[2] - path.get(0)[2]) > 1e-3, "Q is not conserved for tanh");
    }
}
