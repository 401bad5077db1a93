package io.equilibria.physics;

import io.equilibria.errors.InputException;
import io.equilibria.image.Calibration;
import io.equilibria.image.Volume;
import org.junit.jupiter.api.Test;

import static io.equilibria.physics.GibsonLanniTest.fwhm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Resampling keeps a PSF's physical size and centre, converts units, and says what it did. */
class PsfResamplerTest {
    /** A Gaussian PSF of sigma 200 nm laterally and 400 nm axially on 100x100x250 nm voxels (given in µm). */
    static Psf gaussian() {
        int n = 25, d = 17;
        float[] v = new float[n * n * d];
        for (int z = 0, i = 0; z < d; z++) for (int y = 0; y < n; y++) for (int x = 0; x < n; x++, i++) {
            double px = (x - n / 2) * 100, py = (y - n / 2) * 100, pz = (z - d / 2) * 250;
            v[i] = (float) Math.exp(-(px * px + py * py) / (2 * 200 * 200) - pz * pz / (2 * 400 * 400));
        }
        return Psf.volume(new Volume(n, n, d, v), "gaussian test", new Calibration(0.1, 0.1, 0.25, "micron", 0, "sec"));
    }

    static Calibration nm(double x, double z) {
        return new Calibration(x, x, z, "nm", 0, "sec");
    }

    /** Lateral and axial FWHM in nm through the centre voxel. */
    static double[] fwhmNm(Psf p, double dx, double dz) {
        Volume v = p.volume();
        double[] lat = new double[v.width()], ax = new double[v.depth()];
        for (int x = 0; x < lat.length; x++) lat[x] = v.get(x, v.height() / 2, v.depth() / 2);
        for (int z = 0; z < ax.length; z++) ax[z] = v.get(v.width() / 2, v.height() / 2, z);
        return new double[] {fwhm(lat) * dx, fwhm(ax) * dz};
    }

    @Test
    void finerGridKeepsThePhysicalFwhmAndTheCentre() {
        double lat = 2.3548 * 200, ax = 2.3548 * 400;
        PsfResampler.Result r = PsfResampler.toVoxel(gaussian(), nm(50, 100));
        assertTrue(r.resampled());
        System.out.println(r.description());
        assertEquals("PSF resampled from 100x100x250 nm to 50x50x100 nm voxels (25x25x17 -> 49x49x41)", r.description());
        Volume v = r.psf().volume();
        assertEquals(1.0, v.sum(), 1e-4);
        assertEquals(v.max(), v.get(v.width() / 2, v.height() / 2, v.depth() / 2), 0, "peak at the array centre");
        double[] f = fwhmNm(r.psf(), 50, 100);
        System.out.printf("finer grid: FWHM %.0f x %.0f nm (true %.0f x %.0f)%n", f[0], f[1], lat, ax);
        assertEquals(lat, f[0], 0.02 * lat);
        assertEquals(ax, f[1], 0.02 * ax);
        assertEquals("nm", r.psf().voxel().unit());
    }

    @Test
    void coarserGridIntegratesAndStaysClose() {
        double lat = 2.3548 * 200, ax = 2.3548 * 400;
        PsfResampler.Result r = PsfResampler.toVoxel(gaussian(), nm(65, 300));
        double[] f = fwhmNm(r.psf(), 65, 300);
        // averaging over a voxel adds its width^2/12 to the variance: 65 nm and 300 nm boxes
        double latBox = 2.3548 * Math.sqrt(200 * 200 + 65 * 65 / 12.0), axBox = 2.3548 * Math.sqrt(400 * 400 + 300 * 300 / 12.0);
        System.out.printf("%s: FWHM %.0f x %.0f nm (true %.0f x %.0f, voxel-averaged %.0f x %.0f)%n", r.description(), f[0], f[1], lat, ax, latBox, axBox);
        assertEquals(latBox, f[0], 0.05 * latBox);
        assertEquals(axBox, f[1], 0.08 * axBox);
        assertEquals(1, r.psf().volume().width() % 2);
        assertEquals(1, r.psf().volume().depth() % 2);
    }

    @Test
    void unitsConvertAndMismatchesAreSaid() {
        // the same voxel size in other units: nothing to do
        PsfResampler.Result same = PsfResampler.toVoxel(gaussian(), new Calibration(100, 100, 250, "nm", 0, "sec"));
        assertFalse(same.resampled());
        assertEquals("PSF voxels match the data (100x100x250 nm); not resampled", same.description());
        assertFalse(PsfResampler.toVoxel(gaussian(), new Calibration(0.1, 0.1, 0.25, "µm", 0, "sec")).resampled());
        assertFalse(PsfResampler.toVoxel(gaussian(), new Calibration(1e-4, 1e-4, 2.5e-4, "mm", 0, "sec")).resampled());
        assertThrows(InputException.class, () -> PsfResampler.toVoxel(gaussian(), new Calibration(1, 1, 1, "inch", 0, "sec")));
        Psf bare = Psf.volume(gaussian().volume(), "bare", Calibration.none());
        PsfResampler.Result r = PsfResampler.toVoxel(bare, nm(65, 300));
        assertFalse(r.resampled());
        assertSame(bare, r.psf());
        assertTrue(r.description().contains("PSF has no voxel size"), r.description());
        assertTrue(PsfResampler.toVoxel(gaussian(), Calibration.none()).description().contains("data have no voxel size"));
        // a 2D PSF is not a 3D one
        assertThrows(InputException.class, () -> PsfResampler.toVoxel(PsfSpec.parse("gaussian:2").load(), nm(65, 300)));
    }
}
