package io.equilibria.cli;

import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Volume;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.PsfSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code psf bornwolf|gibsonlanni|bead}: calibrated unit-sum 3D stacks that read back with the same numbers. */
class PsfCommandTest {
    @TempDir
    Path dir;

    /** TIFF keeps the pixel width as a rational 1/width, so it reads back to ~1e-8 relative (0.065 as 0.0650000016). */
    static void assertMicrons(Calibration c, double px, double dz) {
        assertEquals("micron", c.unit());
        assertEquals(px, c.pixelWidth(), 1e-6 * px);
        assertEquals(px, c.pixelHeight(), 1e-6 * px);
        assertEquals(dz, c.pixelDepth(), 1e-6 * dz);
    }

    @Test
    void generatedStacksAreCalibratedVolumesOfUnitSum() {
        Path bw = dir.resolve("bw.tif"), gl = dir.resolve("gl.tif");
        assertEquals(0, Main.run("psf", "bornwolf", "--na", "1.2", "--wavelength", "520", "--pixel-size", "65",
                "--refractive-index", "1.33", "--z-step", "150", "--slices", "21", "--size", "31", "--output", bw.toString()));
        assertEquals(0, Main.run("psf", "gibsonlanni", "--na", "1.3", "--wavelength", "520", "--pixel-size", "65",
                "--z-step", "150", "--slices", "21", "--size", "31", "--depth", "2000", "--sample-index", "1.33",
                "--output", gl.toString()));
        for (Path p : new Path[] {bw, gl}) {
            ImageData d = ImageFiles.read(p);
            assertEquals(21, d.size());
            assertMicrons(d.calibration(), 0.065, 0.15);
            double sum = 0;
            for (int i = 0; i < d.size(); i++) sum += d.plane(i).sum();
            assertEquals(1.0, sum, 1e-4, "unit sum over the whole volume");
            Psf psf = PsfSpec.parse(p.toString()).loadVolume();
            assertTrue(psf.isVolume());
            assertMicrons(psf.voxel(), 0.065, 0.15);
            assertEquals(21, psf.volume().depth());
        }
        // the spec gives the same volume as the command
        Psf spec = PsfSpec.parse("bornwolf:1.2,520,65,1.33,150,21").loadVolume();
        assertMicrons(spec.voxel(), 0.065, 0.15);
        assertEquals(PsfGenerator.bornWolfVolume(1.2, 520, 65, 1.33, 150, 21, 0).max(), spec.volume().max(), 1e-6);
        Psf g = PsfSpec.parse("gibsonlanni:1.3,520,65,150,21,ns=1.33,depth=2000").loadVolume();
        assertEquals(1.0, g.volume().sum(), 1e-4);
    }

    @Test
    void beadStackGivesACalibratedCentredPsf() {
        Volume truth = PsfGenerator.bornWolfVolume(1.2, 520, 100, 1.33, 200, 41, 63);
        Random r = new Random(7);
        float[] d = new float[truth.data().length];
        double scale = 3000 / truth.max();
        for (int i = 0; i < d.length; i++) {
            double mean = 100 + truth.data()[i] * scale;
            d[i] = (float) (mean + Math.sqrt(mean) * r.nextGaussian());
        }
        Path beads = dir.resolve("beads.tif"), out = dir.resolve("psf.tif");
        ImageFiles.writeFloatTiff(new ImageData(new Volume(63, 63, 41, d).planes(),
                new Calibration(0.1, 0.1, 0.2, "micron", 0, "sec"), 32), beads);
        assertEquals(0, Main.run("psf", "bead", "--input", beads.toString(), "--size", "31x31x21", "--output", out.toString()));
        ImageData p = ImageFiles.read(out);
        assertEquals(21, p.size());
        assertEquals(31, p.width());
        assertMicrons(p.calibration(), 0.1, 0.2);
        Volume v = Volume.of(p.planes());
        assertEquals(1.0, v.sum(), 1e-4);
        assertEquals(v.max(), v.get(15, 15, 10), 0, "peak at the centre");
        assertEquals(ExitCodes.USAGE, Main.run("psf", "bead", "--input", beads.toString(), "--size", "31x31", "--output", out.toString()));
        assertEquals(ExitCodes.BAD_INPUT, Main.run("psf", "bead", "--input", beads.toString(), "--size", "65", "--output", out.toString()));
        assertEquals(ExitCodes.USAGE, Main.run("psf", "bead", "--output", out.toString()));
    }
}
