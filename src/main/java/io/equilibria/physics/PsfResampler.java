package io.equilibria.physics;

import io.equilibria.errors.InputException;
import io.equilibria.image.Calibration;
import io.equilibria.image.Volume;

import java.util.Locale;

/**
 * Puts a 3D PSF on the data's voxel grid: each output voxel is the trilinear interpolation of the PSF, averaged over
 * m x m x m points of the voxel when the output voxel is coarser (m = ceil(ratio), so a coarser grid integrates
 * rather than skips), centre on the array centre, odd sizes spanning the same physical extent, renormalised to unit
 * sum. Units nm, µm (um, micron) and mm convert; a PSF or data without a voxel size is used as is, and the
 * description says so, since a silent mismatch of scales would give a wrong deconvolution without any error.
 */
public final class PsfResampler {
    /** Output voxels beyond this mean the scales are absurd (a µm PSF read as nm, say): refuse rather than run out of memory. */
    private static final long MAX_VOXELS = 1L << 26;

    /** The PSF on the data's grid (or as given), whether it was resampled, and a sentence for the report. */
    public record Result(Psf psf, boolean resampled, String description) {}

    private PsfResampler() {}

    public static Result toVoxel(Psf psf, Calibration data) {
        Volume v = psf.volume();
        Calibration from = psf.voxel();
        boolean pc = from != null && from.isCalibrated(), dc = data != null && data.isCalibrated();
        if (!pc && !dc) return new Result(psf, false, "PSF and data have no voxel size; PSF used voxel for voxel (not resampled)");
        if (!pc) {
            return new Result(psf, false, "PSF has no voxel size; used as is on the data's " + size(data) + " voxels (not resampled)");
        }
        if (!dc) {
            return new Result(psf, false, "data have no voxel size; PSF (" + size(from) + " voxels) used as is (not resampled)");
        }
        double pu = nmPerUnit(from.unit()), du = nmPerUnit(data.unit());
        if (Double.isNaN(pu) || Double.isNaN(du)) {
            throw new InputException("the PSF's voxel unit '" + from.unit() + "' and the data's '" + data.unit()
                    + "' cannot be converted (known units: nm, µm/um/micron, mm); set both in the same unit");
        }
        double[] a = {from.pixelWidth() * pu, from.pixelHeight() * pu, from.pixelDepth() * pu};
        double[] b = {data.pixelWidth() * du, data.pixelHeight() * du, data.pixelDepth() * du};
        for (int i = 0; i < 3; i++) {
            if (!(a[i] > 0) || !(b[i] > 0) || !Double.isFinite(a[i] + b[i])) {
                throw new InputException("the PSF's voxel size (" + size(from) + ") and the data's (" + size(data) + ") must be > 0");
            }
        }
        String sizes = nm(a) + " to " + nm(b) + " voxels";
        if (Math.abs(a[0] / b[0] - 1) < 1e-3 && Math.abs(a[1] / b[1] - 1) < 1e-3 && Math.abs(a[2] / b[2] - 1) < 1e-3) {
            return new Result(psf, false, "PSF voxels match the data (" + nm(b) + "); not resampled");
        }
        int[] n = {v.width(), v.height(), v.depth()}, half = new int[3];
        long total = 1;
        for (int i = 0; i < 3; i++) {
            half[i] = (int) Math.round((n[i] / 2) * a[i] / b[i]);
            total *= 2L * half[i] + 1;
        }
        if (total > MAX_VOXELS) {
            throw new InputException("resampling the PSF from " + sizes + " would give " + (2 * half[0] + 1) + "x"
                    + (2 * half[1] + 1) + "x" + (2 * half[2] + 1) + " voxels; check both voxel sizes and units");
        }
        Volume out = resample(v, a, b, half);
        Calibration cal = new Calibration(data.pixelWidth(), data.pixelHeight(), data.pixelDepth(), data.unit(), 0, "sec");
        return new Result(Psf.volume(out, psf.description(), cal), true, "PSF resampled from " + sizes + " ("
                + v.width() + "x" + v.height() + "x" + v.depth() + " -> " + out.width() + "x" + out.height() + "x" + out.depth() + ")");
    }

    static Volume resample(Volume v, double[] a, double[] b, int[] half) {
        int w = 2 * half[0] + 1, h = 2 * half[1] + 1, d = 2 * half[2] + 1;
        double[] ratio = {b[0] / a[0], b[1] / a[1], b[2] / a[2]}; // source voxels per output voxel
        int[] m = new int[3];
        for (int i = 0; i < 3; i++) m[i] = Math.max(1, (int) Math.ceil(ratio[i] - 1e-9));
        float[] out = new float[w * h * d];
        int cx = v.width() / 2, cy = v.height() / 2, cz = v.depth() / 2;
        for (int z = 0, k = 0; z < d; z++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++, k++) {
                    double acc = 0;
                    for (int sz = 0; sz < m[2]; sz++) {
                        double uz = cz + (z - half[2] + (sz + 0.5) / m[2] - 0.5) * ratio[2];
                        for (int sy = 0; sy < m[1]; sy++) {
                            double uy = cy + (y - half[1] + (sy + 0.5) / m[1] - 0.5) * ratio[1];
                            for (int sx = 0; sx < m[0]; sx++) {
                                double ux = cx + (x - half[0] + (sx + 0.5) / m[0] - 0.5) * ratio[0];
                                acc += trilinear(v, ux, uy, uz);
                            }
                        }
                    }
                    out[k] = (float) Math.max(0, acc);
                }
            }
        }
        return new Volume(w, h, d, out);
    }

    /** Trilinear interpolation, zero outside the volume (the PSF is taken as zero beyond its box). */
    private static double trilinear(Volume v, double x, double y, double z) {
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y), z0 = (int) Math.floor(z);
        double fx = x - x0, fy = y - y0, fz = z - z0, s = 0;
        for (int dz = 0; dz <= 1; dz++) {
            int zz = z0 + dz;
            if (zz < 0 || zz >= v.depth()) continue;
            double wz = dz == 0 ? 1 - fz : fz;
            for (int dy = 0; dy <= 1; dy++) {
                int yy = y0 + dy;
                if (yy < 0 || yy >= v.height()) continue;
                double wy = dy == 0 ? 1 - fy : fy;
                for (int dx = 0; dx <= 1; dx++) {
                    int xx = x0 + dx;
                    if (xx < 0 || xx >= v.width()) continue;
                    s += wz * wy * (dx == 0 ? 1 - fx : fx) * v.get(xx, yy, zz);
                }
            }
        }
        return s;
    }

    /** Nanometres per unit, NaN if the unit is not a length we know. */
    public static double nmPerUnit(String unit) {
        if (unit == null) return Double.NaN;
        switch (unit.trim().toLowerCase(Locale.ROOT)) {
            case "nm": case "nanometer": case "nanometers": case "nanometre": case "nanometres":
                return 1;
            case "µm": case "μm": case "um": case "micron": case "microns": case "micrometer": case "micrometers":
            case "micrometre": case "micrometres":
                return 1000;
            case "mm": case "millimeter": case "millimeters": case "millimetre": case "millimetres":
                return 1e6;
            default:
                return Double.NaN;
        }
    }

    private static String size(Calibration c) {
        return num(c.pixelWidth()) + "x" + num(c.pixelHeight()) + "x" + num(c.pixelDepth()) + " " + c.unit();
    }

    private static String nm(double[] a) {
        return num(a[0]) + "x" + num(a[1]) + "x" + num(a[2]) + " nm";
    }

    private static String num(double x) {
        String s = String.format(Locale.ROOT, "%.4g", x);
        if (s.contains(".") && !s.contains("e")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s;
    }
}
