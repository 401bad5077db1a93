package io.equilibria.cli;

import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Volume;
import io.equilibria.train.data.PhantomGenerator;
import io.equilibria.train.data.VolumePhantomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** {@code simulate phantom}: the stack it writes is the generator's volume, calibrated; bad values are usage errors. */
class SimulatePhantomTest {
    @TempDir
    Path dir;

    @Test
    void writesACalibratedStackAndReadsBack() {
        Path out = dir.resolve("sub/gt.tif");
        assertEquals(0, Main.run("simulate", "phantom", "--3d", "--size", "40x32x12", "--voxel-size", "0.08,0.2",
                "--kind", "beads", "--seed", "5", "--output", out.toString()));
        ImageData d = ImageFiles.read(out);
        assertEquals(40, d.width());
        assertEquals(32, d.height());
        assertEquals(12, d.size());
        assertEquals(0.08, d.calibration().pixelWidth(), 1e-9);
        assertEquals(0.08, d.calibration().pixelHeight(), 1e-9);
        assertEquals(0.2, d.calibration().pixelDepth(), 1e-9);
        assertEquals("micron", d.calibration().unit());
        Volume expected = new VolumePhantomGenerator(VolumePhantomGenerator.Kind.BEADS).generate(40, 32, 12, 0.08, 0.2, 5);
        assertArrayEquals(expected.data(), Volume.of(d.planes()).data());
    }

    @Test
    void withoutThreeDWritesTheTwoDPhantom() {
        Path out = dir.resolve("gt2d.tif");
        assertEquals(0, Main.run("simulate", "phantom", "--size", "48x36", "--kind", "filaments", "--seed", "2",
                "--output", out.toString()));
        ImageData d = ImageFiles.read(out);
        assertEquals(1, d.size());
        assertEquals(0.1, d.calibration().pixelWidth(), 1e-9);
        assertArrayEquals(new PhantomGenerator(PhantomGenerator.Kind.FILAMENTS).generate(48, 36, 2).data(), d.plane(0).data());
    }

    @Test
    void badValuesAreUsageErrorsAndWriteNothing() {
        Path out = dir.resolve("bad.tif");
        String[][] bad = {
                {"--3d", "--size", "32x32"}, {"--size", "32x32x8"}, {"--3d", "--size", "0x32x8"}, {"--3d", "--size", "axbxc"},
                {"--3d", "--voxel-size", "0.1,0"}, {"--3d", "--voxel-size", "fine"}, {"--3d", "--kind", "blobs"},
                {"--kind", "membranes"}, {"--3d", "--input", "x.tif"}, {"--3d", "--psf", "gaussian:1"}};
        for (String[] b : bad) {
            String[] args = new String[b.length + 6];
            System.arraycopy(new String[] {"simulate", "phantom", "--seed", "1", "--output", out.toString()}, 0, args, 0, 6);
            System.arraycopy(b, 0, args, 6, b.length);
            assertEquals(ExitCodes.USAGE, Main.run(args), String.join(" ", b));
        }
        assertEquals(ExitCodes.USAGE, Main.run("simulate", "deblur", "--3d", "--seed", "1", "--output", out.toString()));
        assertEquals(ExitCodes.USAGE, Main.run("simulate", "deblur", "--psf", "gaussian:1", "--seed", "1", "--output", out.toString()));
        assertFalse(Files.exists(out));
    }
}
