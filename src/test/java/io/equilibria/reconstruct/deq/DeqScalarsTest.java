package io.equilibria.reconstruct.deq;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.equilibria.TestSupport;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reading the scalars' values leaves nothing on their manager (issue 18: a process-long model manager must not grow). */
class DeqScalarsTest {
    @Test
    void readingTheValuesLeavesNoArrayBehind() {
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            try (NDManager m = TestSupport.manager().newSubManager(); DeqScalars s = new DeqScalars(m, 0.5, 2, 1.5, type)) {
                int before = m.getManagedArrays().size();
                double g = 0, t = 0, c = 0;
                for (int i = 0; i < 10; i++) {
                    g = s.gammaValue();
                    t = s.tauValue();
                    c = s.sigmaScaleValue();
                }
                assertEquals(before, m.getManagedArrays().size(), type + ": arrays left on the manager");
                assertEquals(0.5, g, 1e-6);
                assertEquals(2, t, 1e-6);
                assertEquals(1.5, c, 1e-6);
            }
        }
    }
}
