package io.equilibria.cli;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileSaver;
import ij.process.FloatProcessor;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Multi-channel z-stacks over time: every channel deconvolved as volumes with its own PSF (repeated --psf or a
 * multi-channel PSF file), written back as a C×Z×T hyperstack; each channel equals the same run on that channel alone.
 */
class ChannelPsfsTest {
    @TempDir
    static Path dir;
    static Path stack, psfA, psfB, psfAB;

    @BeforeAll
    static void files() throws Exception {
        // two channels blurred differently, 6 slices, 2 time points; two Born & Wolf PSFs (green oil, red water)
        psfA = dir.resolve("psf_green.tif");
        psfB = dir.resolve("psf_red.tif");
        assertEquals(0, Main.run("psf", "bornwolf", "--na", "1.4", "--wavelength", "510", "--pixel-size", "100",
                "--slices", "5", "--z-step", "300", "--size", "9", "--output", psfA.toString()));
        assertEquals(0, Main.run("psf", "bornwolf", "--na", "1.1", "--wavelength", "640", "--refractive-index", "1.33",
                "--pixel-size", "100", "--slices", "5", "--z-step", "300", "--size", "9", "--output", psfB.toString()));
        int w = 20, h = 18, z = 6, t = 2, c = 2;
        java.util.Random r = new java.util.Random(4);
        ImageStack s = new ImageStack(w, h);
        for (int tt = 0; tt < t; tt++) for (int zz = 0; zz < z; zz++) for (int cc = 0; cc < c; cc++) {
            float[] d = new float[w * h];
            for (int i = 0; i < d.length; i++) d[i] = (float) (50 + 40 * cc + 30 * Math.sin(i * 0.3 + zz + tt) + 5 * r.nextGaussian());
            s.addSlice(new FloatProcessor(w, h, d));
        }
        ImagePlus imp = new ImagePlus("two channels", s);
        imp.setDimensions(c, z, t);
        imp.setOpenAsHyperStack(true);
        imp.getCalibration().pixelWidth = imp.getCalibration().pixelHeight = 0.1;
        imp.getCalibration().pixelDepth = 0.3;
        imp.getCalibration().setUnit("micron");
        stack = dir.resolve("cells.tif");
        new FileSaver(imp).saveAsTiff(stack.toString());
        // the same two PSFs as one channel-indexed file (C=2, Z=5)
        ImageData a = ImageFiles.read(psfA), b = ImageFiles.read(psfB);
        ImageStack ps = new ImageStack(a.width(), a.height());
        for (int i = 0; i < a.size(); i++) {
            ps.addSlice(new FloatProcessor(a.width(), a.height(), a.plane(i).data().clone()));
            ps.addSlice(new FloatProcessor(b.width(), b.height(), b.plane(i).data().clone()));
        }
        ImagePlus pimp = new ImagePlus("psfs", ps);
        pimp.setDimensions(2, a.size(), 1);
        pimp.setOpenAsHyperStack(true);
        pimp.setCalibration(ImageFiles.toImagePlus(a, "a").getCalibration());
        psfAB = dir.resolve("psf_channels.tif");
        new FileSaver(pimp).saveAsTiff(psfAB.toString());
    }

    private static ImageData run(String name, String... extra) throws Exception {
        Path out = dir.resolve(name + ".tif");
        String[] base = {"reconstruct", "deblur", "--input", stack.toString(), "--method", "rl", "--iterations", "4",
                "--output", out.toString(), "--report", dir.resolve(name + ".json").toString()};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        assertEquals(0, Main.run(args), name);
        return ImageFiles.read(out, io.equilibria.image.ChannelChoice.ALL);
    }

    @Test
    void eachChannelIsDeconvolvedAsVolumesWithItsOwnPsf() throws Exception {
        ImageData both = run("both", "--psf", psfA.toString(), "--psf", psfB.toString());
        assertEquals(2, both.channels());
        assertEquals(2, both.timePoints());
        assertEquals(6, both.slicesPerTimePoint());
        assertEquals(0.3, both.calibration().pixelDepth(), 1e-9, "z step kept");
        ImagePlus written = new ij.io.Opener().openImage(dir.resolve("both.tif").toString());
        assertArrayEquals(new int[] {20, 18, 2, 6, 2}, written.getDimensions(), "written as a C x Z x T hyperstack");
        String report = Files.readString(dir.resolve("both.json"));
        assertTrue(report.contains("\"channels\" : 2") && report.contains("channel 2: " + psfB), report);
        // channel c alone with PSF c gives the same numbers
        ImageData green = run("green", "--channel", "1", "--psf", psfA.toString());
        ImageData red = run("red", "--channel", "2", "--psf", psfB.toString());
        for (int i = 0; i < green.size(); i++) {
            assertArrayEquals(green.plane(i).data(), both.channel(0).plane(i).data(), "channel 1 plane " + i);
            assertArrayEquals(red.plane(i).data(), both.channel(1).plane(i).data(), "channel 2 plane " + i);
        }
        assertFalse(Arrays.equals(both.channel(0).plane(3).data(), run("redpsf", "--channel", "1", "--psf", psfB.toString()).plane(3).data()),
                "the PSF matters (else the test above proves nothing)");
        // --channel 2 with both PSFs: channel 2 alone, with its PSF
        ImageData chosen = run("chosen", "--channel", "2", "--psf", psfA.toString(), "--psf", psfB.toString());
        assertEquals(1, chosen.channels());
        assertArrayEquals(red.plane(5).data(), chosen.plane(5).data());
        // a channel-indexed PSF file is the same as the PSFs given one by one
        ImageData indexed = run("indexed", "--psf", psfAB.toString());
        for (int i = 0; i < both.size(); i++) assertArrayEquals(both.plane(i).data(), indexed.plane(i).data(), "plane " + i);
        // one PSF for every channel with --channel all
        ImageData shared = run("shared", "--channel", "all", "--psf", psfA.toString());
        assertEquals(2, shared.channels());
        assertArrayEquals(green.plane(7).data(), shared.channel(0).plane(7).data());
    }

    @Test
    void aWrongNumberOfPsfsIsAnInputError() {
        int code = Main.run("reconstruct", "deblur", "--input", stack.toString(), "--method", "rl", "--iterations", "2",
                "--psf", psfA.toString(), "--psf", psfB.toString(), "--psf", psfA.toString(), "--output", dir.resolve("bad.tif").toString());
        assertEquals(ExitCodes.BAD_INPUT, code);
        assertFalse(Files.exists(dir.resolve("bad.tif")));
        // a multi-channel stack without a channel choice or per-channel PSFs still asks for one
        assertEquals(ExitCodes.BAD_INPUT, Main.run("reconstruct", "deblur", "--input", stack.toString(), "--method", "rl",
                "--psf", psfA.toString(), "--output", dir.resolve("bad2.tif").toString()));
    }
}
