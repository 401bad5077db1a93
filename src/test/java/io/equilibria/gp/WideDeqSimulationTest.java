package io.equilibria.gp;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

class WideDeqSimulationTest {
    @Test
    void perNetworkErrorFallsLikeOneOverWidth() {
        Random r = new Random(6);
        double[][] x = new double[6][10];
        for (double[] row : x) for (int t = 0; t < 10; t++) row[t] = r.nextGaussian();
        double[][] exact = new DeqKernel(Activation.TANH, 0.6, 1.0, 1e-12, 10_000).kernel(x);
        try (NDManager m = Compute.manager(Device.cpu())) {
            KernelError narrow = KernelError.of(WideDeqSimulation.kernels(m, Activation.TANH, 0.6, 1.0, x, 32, 60, 1), exact);
            KernelError wide = KernelError.of(WideDeqSimulation.kernels(m, Activation.TANH, 0.6, 1.0, x, 512, 60, 2), exact);
            double ratio = narrow.meanSquared() / wide.meanSquared();
            // 16 times the width: 1/width predicts 16; the band allows the Monte-Carlo spread of 60 networks
            assertTrue(ratio > 6 && ratio < 40, "32 -> " + narrow + ", 512 -> " + wide + ": ratio " + ratio);
            assertTrue(wide.meanSquared() < 0.02, "width 512: " + wide);
            assertTrue(wide.bias() < wide.meanSquared() / 4, "the mean squared error is mostly fluctuation, not bias: " + wide);
        }
    }
}
