package io.equilibria.certify.data;

import io.equilibria.errors.InputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** IDX files written here (the real MNIST lives outside the repository). */
class IdxDatasetTest {
    @TempDir
    Path dir;

    private Path write(String name, int magic, int[] dims, byte[] data, boolean gz) throws Exception {
        Path p = dir.resolve(name);
        try (OutputStream os = gz ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p);
             DataOutputStream out = new DataOutputStream(os)) {
            out.writeInt(magic);
            for (int d : dims) out.writeInt(d);
            out.write(data);
        }
        return p;
    }

    @Test
    void readsImagesAndLabelsScaledToUnitRange() throws Exception {
        byte[] pixels = new byte[3 * 2 * 2];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 20);
        pixels[11] = (byte) 255;
        Path im = write("i.gz", 0x803, new int[] {3, 2, 2}, pixels, true);
        Path lb = write("l", 0x801, new int[] {3}, new byte[] {7, 0, 9}, false);
        IdxDataset all = IdxDataset.read(im, lb, 0);
        assertEquals(3, all.count());
        assertEquals(2, all.width());
        assertArrayEquals(new int[] {7, 0, 9}, all.labels());
        assertArrayEquals(new float[] {160 / 255f, 180 / 255f, 200 / 255f, 1f}, all.images()[2], 1e-7f);
        assertEquals(2, IdxDataset.read(im, lb, 2).count());
        Path shortLabels = write("l2", 0x801, new int[] {2}, new byte[] {1, 2}, false);
        assertThrows(InputException.class, () -> IdxDataset.read(im, shortLabels, 0));
        Path cut = write("cut", 0x803, new int[] {3, 2, 2}, new byte[5], false);
        assertThrows(InputException.class, () -> IdxDataset.read(cut, lb, 0));
        assertThrows(InputException.class, () -> IdxDataset.read(lb, im, 0));
    }
}
