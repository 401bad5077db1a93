package io.equilibria.image;

import io.equilibria.errors.InputException;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.ShortProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading 8/16/32-bit TIFFs and stacks, PNG; calibration round trip; refusals; exact normalisation inverse. */
public class ImageFilesTest {
    @TempDir
    Path dir;

    static ImagePlus calibrated(ImagePlus imp) {
        ij.measure.Calibration c = imp.getCalibration();
        c.pixelWidth = 0.065;
        c.pixelHeight = 0.065;
        c.setUnit("micron");
        return imp;
    }

    @Test
    void reads16BitStackWithCalibrationAndWritesFloatBack() throws Exception {
        ImageStack st = new ImageStack(20, 10);
        for (int s = 0; s < 3; s++) {
            ShortProcessor sp = new ShortProcessor(20, 10);
            for (int i = 0; i < 200; i++) sp.set(i, 100 + 50 * s + i * 300);
            st.addSlice(sp);
        }
        Path in = dir.resolve("stack16.tif");
        assertTrue(new FileSaver(calibrated(new ImagePlus("s", st))).saveAsTiffStack(in.toString()));
        ImageData d = ImageFiles.read(in);
        assertEquals(3, d.size());
        assertEquals(16, d.bitDepth());
        assertEquals(100 + 50 + 199 * 300, d.plane(1).data()[199], 0);
        assertEquals(0.065, d.calibration().pixelWidth(), 1e-6);
        assertEquals("micron", d.calibration().unit());
        Path out = dir.resolve("out/float.tif");
        d.info().put("equilibria.method", "test");
        ImageFiles.writeFloatTiff(d, out);
        ImageData back = ImageFiles.read(out);
        assertEquals(32, back.bitDepth());
        assertEquals(3, back.size());
        assertEquals(d.plane(2).data()[57], back.plane(2).data()[57], 0);
        assertEquals(0.065, back.calibration().pixelWidth(), 1e-6);
        assertTrue(back.info().get("source-info").contains("equilibria.method = test"));
        try (var files = Files.list(out.getParent())) {
            assertEquals(List.of(out), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void reads8BitPngAndRefusesRgbUnlessAChannelIsChosen() {
        ByteProcessor bp = new ByteProcessor(16, 12);
        bp.set(3, 4, 200);
        Path gray = dir.resolve("gray.png");
        assertTrue(new FileSaver(new ImagePlus("g", bp)).saveAsPng(gray.toString()));
        ImageData g = ImageFiles.read(gray);
        assertEquals(8, g.bitDepth());
        assertEquals(200, g.plane(0).get(3, 4), 0);

        ColorProcessor cp = new ColorProcessor(16, 12);
        cp.set(2, 2, (10 << 16) | (20 << 8) | 30);
        Path rgb = dir.resolve("rgb.png");
        assertTrue(new FileSaver(new ImagePlus("c", cp)).saveAsPng(rgb.toString()));
        InputException e = assertThrows(InputException.class, () -> ImageFiles.read(rgb));
        assertTrue(e.getMessage().contains(io.equilibria.errors.Setting.CHANNEL.phrase()), e.getMessage());
        assertEquals(20, ImageFiles.read(rgb, ChannelChoice.parse("green")).plane(0).get(2, 2), 0);
        assertEquals(0.299 * 10 + 0.587 * 20 + 0.114 * 30, ImageFiles.read(rgb, ChannelChoice.parse("luminance")).plane(0).get(2, 2), 1e-3);
    }

    @Test
    void refusesTruncatedEmptyAndZeroSizeFiles() throws Exception {
        ShortProcessor sp = new ShortProcessor(64, 64);
        Path ok = dir.resolve("ok.tif");
        assertTrue(new FileSaver(new ImagePlus("s", sp)).saveAsTiff(ok.toString()));
        byte[] bytes = Files.readAllBytes(ok);
        Path cut = dir.resolve("cut.tif");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertTrue(assertThrows(InputException.class, () -> ImageFiles.read(cut)).getMessage().contains("truncated"));
        Path empty = dir.resolve("empty.tif");
        Files.write(empty, new byte[0]);
        assertTrue(assertThrows(InputException.class, () -> ImageFiles.read(empty)).getMessage().contains("empty"));
        Path zero = dir.resolve("zero.tif");
        Files.write(zero, zeroWidthTiff());
        assertThrows(InputException.class, () -> ImageFiles.read(zero));
        assertThrows(InputException.class, () -> ImageFiles.read(dir.resolve("missing.tif")));
    }

    /** A little-endian TIFF whose single IFD declares a 0 x 0 image. */
    public static byte[] zeroWidthTiff() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 2 + 6 * 12 + 4 + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
        b.putShort((short) 6);
        int data = 8 + 2 + 6 * 12 + 4;
        int[][] tags = {{256, 3, 1, 0}, {257, 3, 1, 0}, {258, 3, 1, 8}, {262, 3, 1, 1}, {273, 4, 1, data}, {279, 4, 1, 0}};
        for (int[] t : tags) {
            b.putShort((short) t[0]).putShort((short) t[1]).putInt(t[2]);
            if (t[1] == 3) b.putShort((short) t[3]).putShort((short) 0); else b.putInt(t[3]);
        }
        b.putInt(0);
        return b.array();
    }

    @Test
    void nanPixelsAreReportedWithTheirPosition() {
        float[] d = new float[12];
        d[7] = Float.NaN;
        ImageData img = ImageData.of(new Plane(4, 3, d), Calibration.none());
        InputException e = assertThrows(InputException.class, () -> ImageFiles.requireFinite(img, "x.tif"));
        assertTrue(e.getMessage().contains("x=3, y=1"), e.getMessage());
    }

    @Test
    void normalisationHasAnExactInverse() {
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) v[i] = 100 + (i * 37 % 1000) * 3.5f;
        for (String spec : new String[] {"percentile", "percentile:2,99", "minmax", "none"}) {
            Normalization n = Normalization.fit(spec, v);
            float[] back = n.inverse(n.forward(v));
            for (int i = 0; i < v.length; i++) assertEquals(v[i], back[i], 1e-3, spec);
        }
        Normalization p = Normalization.fit("minmax", v);
        float[] f = p.forward(v);
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float x : f) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
        assertEquals(0, lo, 1e-6);
        assertEquals(1, hi, 1e-6);
    }
}
