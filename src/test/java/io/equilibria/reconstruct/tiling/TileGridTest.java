package io.equilibria.reconstruct.tiling;

import io.equilibria.errors.MemoryException;
import io.equilibria.image.Plane;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TileGridTest {
    @Test
    void weightsArePartitionOfUnityAndTilesReassembleTheImage() {
        Random rnd = new Random(1);
        for (int[] c : new int[][] {{300, 200, 64, 24}, {257, 511, 100, 40}, {128, 128, 64, 8}, {1000, 90, 80, 32}}) {
            int w = c[0], h = c[1];
            TileGrid g = TileGrid.of(w, h, c[2], c[3]);
            assertTrue(g.size() > 1);
            float[] data = new float[w * h];
            for (int i = 0; i < data.length; i++) data[i] = rnd.nextFloat();
            Plane p = new Plane(w, h, data);
            float[] ones = new float[w * h], rebuilt = new float[w * h];
            for (TileGrid.Tile t : g.tiles()) {
                assertTrue(t.x0() >= 0 && t.y0() >= 0 && t.x0() + t.width() <= w && t.y0() + t.height() <= h);
                Plane crop = g.crop(p, t);
                g.accumulate(t, crop, rebuilt);
                g.accumulate(t, new Plane(t.width(), t.height(), filled(t.width() * t.height())), ones);
            }
            for (int i = 0; i < w * h; i++) {
                assertEquals(1f, ones[i], 1e-5f, "weights sum to one at " + i);
                assertEquals(data[i], rebuilt[i], 1e-5f);
            }
        }
    }

    @Test
    void usedPixelsStayAwayFromCutEdges() {
        TileGrid g = TileGrid.of(400, 400, 100, 32);
        for (TileGrid.Tile t : g.tiles()) {
            double[] wx = g.weights(cutsOf(g), t.ix(), t.x0(), t.width());
            for (int x = 0; x < t.width(); x++) {
                int pos = t.x0() + x;
                boolean nearCutEdge = (t.x0() > 0 && x < 16) || (t.x0() + t.width() < 400 && x >= t.width() - 16);
                if (nearCutEdge) assertEquals(0, wx[x], 0, "pixel " + pos + " within h/2 of tile " + t.index() + "'s cut edge is not used");
            }
        }
    }

    private static int[] cutsOf(TileGrid g) {
        int[] c = new int[g.columns() + 1];
        for (int k = 0; k <= g.columns(); k++) c[k] = (int) Math.round((double) k * 400 / g.columns());
        return c;
    }

    private static float[] filled(int n) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, 1f);
        return f;
    }

    @Test
    void memoryBudgetDecidesTheTiling() {
        long gib = 1L << 30;
        assertEquals(1, MemoryModel.plan("deq", 512, 512, 1, 17, 17, 40, 4 * gib).size(), "a small image is not tiled");
        TileGrid big = MemoryModel.plan("deq", 4096, 4096, 1, 17, 17, 40, 2 * gib);
        assertTrue(big.size() > 1);
        TileGrid.Tile t = big.largest();
        assertTrue(MemoryModel.estimate("deq", 4096, 4096, 1, t.width(), t.height(), 17, 17) <= 2 * gib, "the tiles fit the budget");
        assertTrue(MemoryModel.plan("deq", 4096, 4096, 1, 17, 17, 40, 3 * gib).size() < big.size(), "more memory, fewer tiles");
        MemoryException e = assertThrows(MemoryException.class, () -> MemoryModel.plan("deq", 4096, 4096, 1, 17, 17, 40, 600L << 20));
        assertTrue(e.getMessage().contains(io.equilibria.errors.Setting.MEMORY_BUDGET.phrase()) && e.getMessage().contains("at least"), e.getMessage());
        assertEquals(2L * gib, MemoryModel.parseBytes("2g"));
        assertEquals(1500L << 20, MemoryModel.parseBytes("1500m"));
        assertEquals(800L << 20, MemoryModel.parseBytes("800"));
        assertEquals(2L * gib, MemoryModel.parseBytes("2GiB"));
        assertThrows(IllegalArgumentException.class, () -> MemoryModel.parseBytes("lots"));
        assertThrows(IllegalArgumentException.class, () -> MemoryModel.parseBytes("-1g"));
    }
}
