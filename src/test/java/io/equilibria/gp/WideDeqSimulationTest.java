package io.equilibria.gp;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

class WideDeqSimulationTest {
    @Test
    void wideRandomDeqsApproachTheLimitingKernel() {
        Random r = new Random(6);
        double[][] x = new double[4][10];
        for (double[] row : x) for (int t = 0; t < 10; t++) row[t] = r.nextGaussian();
        double[][] exact = new DeqKernel(Activation.TANH, 0.6, 1.0, 1e-12, 10_000).kernel(x);
        try (NDManager m = Compute.manager(Device.cpu())) {
            double narrow = WideDeqSimulation.relativeError(WideDeqSimulation.empiricalKernel(m, Activation.TANH, 0.6, 1.0, x, 32, 20, 1), exact);
            double wide = WideDeqSimulation.relativeError(WideDeqSimulation.empiricalKernel(m, Activation.TANH, 0.6, 1.0, x, 1024, 20, 1), exact);
            assertTrue(wide < narrow / 3, "error should fall with width: 32 -> " + narrow + ", 1024 -> " + wide);
            assertTrue(wide < 0.05, "width 1024: " + wide);
        }
    }
}
