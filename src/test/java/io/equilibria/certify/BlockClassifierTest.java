package io.equilibria.certify;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import io.equilibria.compute.Compute;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A DJL block as the smoothed base classifier: logits match the block's own math, normalisation is applied, labels are argmax. */
class BlockClassifierTest {
    @Test
    void logitsAreTheBlocksOnNormalisedInputs() {
        try (NDManager m = Compute.manager(Device.cpu())) {
            SequentialBlock net = new SequentialBlock().add(Blocks.batchFlattenBlock()).add(Linear.builder().setUnits(3).build());
            net.initialize(m, DataType.FLOAT32, new Shape(1, 2, 2, 2));
            float[] w = net.getChildren().get(1).getValue().getParameters().get("weight").getArray().toFloatArray(); // (3, 8)
            float[] bias = net.getChildren().get(1).getValue().getParameters().get("bias").getArray().toFloatArray();
            float[] mean = {0.5f, -1f}, std = {2f, 0.25f};
            try (BlockClassifier c = new BlockClassifier(net, 3, new int[] {2, 2, 2}, mean, std, Device.cpu())) {
                Random r = new Random(3);
                float[][] batch = new float[5][8];
                for (float[] x : batch) for (int k = 0; k < 8; k++) x[k] = (float) r.nextGaussian();
                float[][] logits = c.logits(batch);
                for (int i = 0; i < 5; i++) {
                    for (int j = 0; j < 3; j++) {
                        double s = bias[j];
                        for (int k = 0; k < 8; k++) s += w[j * 8 + k] * (batch[i][k] - mean[k / 4]) / std[k / 4];
                        assertEquals(s, logits[i][j], 1e-5);
                    }
                }
                assertArrayEquals(Classifier.labels(logits), c.classify(batch));
                assertThrows(IllegalArgumentException.class, () -> c.classify(new float[][] {new float[7]}));
            }
        }
        assertArrayEquals(new int[] {1, 0}, Classifier.labels(new float[][] {{0f, 2f, 1f}, {1f, 1f, 0f}}), "ties go to the smallest label");
    }
}
