package io.equilibria.gp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KernelErrorTest {
    private static final double[][] EXACT = {{1, 0}, {0, 1}}; // ‖K*‖²_F = 2

    @Test
    void symmetricFluctuationsHaveNoBias() {
        // K* ± D, D = 0.1 at (0,0): each network off by 0.01/2, the mean exact
        KernelError e = KernelError.of(new double[][][] {{{1.1, 0}, {0, 1}}, {{0.9, 0}, {0, 1}}}, EXACT);
        assertEquals(0.005, e.meanSquared(), 1e-12);
        assertEquals(0, e.standardError(), 1e-12);
        assertEquals(0.005, e.biasNoise(), 1e-12); // s² = (0.01 + 0.01)/2 / (N−1), over N
        assertEquals(-0.005, e.bias(), 1e-12); // below the noise
        assertEquals(0, e.maxOfMean(), 1e-12);
    }

    @Test
    void aSharedOffsetIsBias() {
        // K* + B ± D with B = 0.2 at (1,1)
        KernelError e = KernelError.of(new double[][][] {{{1.1, 0}, {0, 1.2}}, {{0.9, 0}, {0, 1.2}}}, EXACT);
        assertEquals(0.025, e.meanSquared(), 1e-12);
        assertEquals(0.02 - 0.005, e.bias(), 1e-12);
        assertEquals(0.2, e.maxOfMean(), 1e-12);
    }

    @Test
    void oneNetworkHasNoSpread() {
        assertThrows(IllegalArgumentException.class, () -> KernelError.of(new double[][][] {EXACT}, EXACT));
    }
}
