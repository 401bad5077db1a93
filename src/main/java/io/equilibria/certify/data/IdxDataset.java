package io.equilibria.certify.data;

import io.equilibria.errors.InputException;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * A labelled image set in the IDX format of MNIST and Fashion-MNIST ({@code *-images-idx3-ubyte[.gz]} with
 * {@code *-labels-idx1-ubyte[.gz]}): unsigned bytes scaled to [0, 1], row-major. Only the first {@code limit}
 * items are read, so tests and quick runs stay small.
 */
public record IdxDataset(int count, int height, int width, float[][] images, int[] labels) {
    private static final int IMAGES_MAGIC = 0x00000803, LABELS_MAGIC = 0x00000801;

    /** Reads up to {@code limit} items (all if limit ≤ 0); a count or size mismatch between the two files is an error. */
    public static IdxDataset read(Path images, Path labels, int limit) {
        try (DataInputStream im = open(images); DataInputStream lb = open(labels)) {
            if (im.readInt() != IMAGES_MAGIC) throw new InputException(images, "not an IDX image file (bad magic number)");
            if (lb.readInt() != LABELS_MAGIC) throw new InputException(labels, "not an IDX label file (bad magic number)");
            int n = im.readInt(), h = im.readInt(), w = im.readInt(), nl = lb.readInt();
            if (n != nl) throw new InputException(images, n + " images but " + nl + " labels in " + labels);
            if (n < 0 || h <= 0 || w <= 0) throw new InputException(images, "bad IDX header " + n + "x" + h + "x" + w);
            int count = limit > 0 ? Math.min(limit, n) : n;
            float[][] x = new float[count][h * w];
            int[] y = new int[count];
            byte[] buf = new byte[h * w];
            for (int i = 0; i < count; i++) {
                im.readFully(buf);
                for (int k = 0; k < buf.length; k++) x[i][k] = (buf[k] & 0xff) / 255f;
                y[i] = lb.readUnsignedByte();
            }
            return new IdxDataset(count, h, w, x, y);
        } catch (EOFException e) {
            throw new InputException(images, "IDX file ends early (truncated download?)");
        } catch (IOException e) {
            throw new InputException(images, "cannot read: " + e.getMessage());
        }
    }

    /** Items {@code from} (inclusive) to {@code to} (exclusive), sharing the image arrays. */
    public IdxDataset slice(int from, int to) {
        if (from < 0 || to > count || from > to) throw new IndexOutOfBoundsException("slice " + from + ".." + to + " of " + count);
        return new IdxDataset(to - from, height, width, java.util.Arrays.copyOfRange(images, from, to),
                java.util.Arrays.copyOfRange(labels, from, to));
    }

    private static DataInputStream open(Path p) throws IOException {
        if (!Files.isRegularFile(p)) throw new InputException(p, "no such file");
        InputStream in = new BufferedInputStream(Files.newInputStream(p));
        if (p.getFileName().toString().endsWith(".gz")) in = new GZIPInputStream(in);
        return new DataInputStream(in);
    }
}
