package io.equilibria.experiment;

import io.equilibria.errors.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GpSplitTest {
    /** Writes gzipped 2×2 IDX files {@code prefix}-*; item i has first pixel (first + i)/255 and label i mod 10. */
    private static void idx(Path dir, String prefix, int count, int first) throws IOException {
        try (DataOutputStream im = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(dir.resolve(prefix + "-images-idx3-ubyte.gz"))));
             DataOutputStream lb = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(dir.resolve(prefix + "-labels-idx1-ubyte.gz"))))) {
            im.writeInt(0x803);
            im.writeInt(count);
            im.writeInt(2);
            im.writeInt(2);
            lb.writeInt(0x801);
            lb.writeInt(count);
            for (int i = 0; i < count; i++) {
                im.write(new byte[] {(byte) (first + i), 0, 0, 0});
                lb.writeByte(i % 10);
            }
        }
    }

    private static int[] firstPixels(io.equilibria.certify.data.IdxDataset d) {
        int[] p = new int[d.count()];
        for (int i = 0; i < p.length; i++) p[i] = Math.round(d.images()[i][0] * 255);
        return p;
    }

    @Test
    void testFilesAloneAreSplitIntoDisjointParts(@TempDir Path dir) throws IOException {
        idx(dir, "t10k", 10, 100);
        GpSplit s = GpSplit.load(dir, 6, 3);
        assertArrayEquals(new int[] {100, 101, 102, 103, 104, 105}, firstPixels(s.train()));
        assertArrayEquals(new int[] {106, 107, 108}, firstPixels(s.test()));
        assertArrayEquals(new int[] {6, 7, 8}, s.test().labels());
        assertTrue(s.source().contains("t10k files only"), s.source());
    }

    @Test
    void trainingFilesTrainAndTestFilesTest(@TempDir Path dir) throws IOException {
        idx(dir, "train", 20, 0);
        idx(dir, "t10k", 10, 100);
        GpSplit s = GpSplit.load(dir, 5, 4);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, firstPixels(s.train()));
        assertArrayEquals(new int[] {100, 101, 102, 103}, firstPixels(s.test()));
        assertEquals(2, s.train().height());
    }

    @Test
    void tooFewImagesIsAnError(@TempDir Path dir) throws IOException {
        idx(dir, "t10k", 10, 100);
        assertThrows(InputException.class, () -> GpSplit.load(dir, 8, 3));
        idx(dir, "train", 4, 0);
        assertThrows(InputException.class, () -> GpSplit.load(dir, 5, 3));
    }
}
