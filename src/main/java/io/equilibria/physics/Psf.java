package io.equilibria.physics;

import io.equilibria.errors.Setting;

import io.equilibria.errors.InputException;
import io.equilibria.image.Calibration;
import io.equilibria.image.Plane;
import io.equilibria.image.Volume;

import java.util.ArrayList;
import java.util.List;

/**
 * A point-spread function: one plane, a stack of planes each normalised to unit sum (one PSF per frame, for
 * multi-frame deblurring: {@link #of}), or a 3D PSF, one volume normalised to unit total sum with its voxel size
 * ({@link #volume}), for 3D deconvolution. Its centre is the array centre {@code (w/2, h/2, d/2)} (integer division),
 * the convention of PSF generators and DeconvolutionLab2; the unit sum makes blurring preserve flux.
 */
public final class Psf {
    private final List<Plane> planes;
    private final String description;
    private final Volume volume; // null unless a 3D PSF
    private final Calibration voxel;

    private Psf(List<Plane> planes, String description, Volume volume, Calibration voxel) {
        this.planes = List.copyOf(planes);
        this.description = description;
        this.volume = volume;
        this.voxel = voxel;
    }

    /** Validates every plane (finite, non-negative, not empty) and normalises each to unit sum. */
    public static Psf of(List<Plane> planes, String description) {
        List<Plane> out = new ArrayList<>();
        for (int i = 0; i < planes.size(); i++) {
            Plane p = planes.get(i);
            String where = description + (planes.size() > 1 ? " slice " + (i + 1) : "");
            double sum = 0;
            for (int k = 0; k < p.data().length; k++) {
                float v = p.data()[k];
                if (!Float.isFinite(v)) throw new InputException("PSF " + where + ": non-finite value at pixel " + k);
                if (v < 0) {
                    throw new InputException("PSF " + where + ": negative value " + v + " at x=" + (k % p.width())
                            + ", y=" + (k / p.width()) + " (subtract background and clip before use)");
                }
                sum += v;
            }
            if (!(sum > 0)) throw new InputException("PSF " + where + ": empty (all zeros)");
            float[] d = new float[p.data().length];
            for (int k = 0; k < d.length; k++) d[k] = (float) (p.data()[k] / sum);
            out.add(new Plane(p.width(), p.height(), d));
        }
        if (out.isEmpty()) throw new InputException("PSF " + description + ": no planes");
        return new Psf(out, description, null, Calibration.none());
    }

    /**
     * A 3D PSF: validates the voxels (finite, non-negative, not all zero) and normalises the whole volume to unit sum
     * (planes far from focus keep their smaller share). {@code voxel} is its voxel size, {@link Calibration#none()}
     * when unknown.
     */
    public static Psf volume(Volume v, String description, Calibration voxel) {
        double sum = 0;
        float[] src = v.data();
        int plane = v.width() * v.height();
        for (int k = 0; k < src.length; k++) {
            float x = src[k];
            if (!Float.isFinite(x)) throw new InputException("PSF " + description + ": non-finite value at voxel " + k);
            if (x < 0) {
                int r = k % plane;
                throw new InputException("PSF " + description + ": negative value " + x + " at x=" + (r % v.width())
                        + ", y=" + (r / v.width()) + ", slice " + (k / plane + 1) + " (subtract background and clip before use)");
            }
            sum += x;
        }
        if (!(sum > 0)) throw new InputException("PSF " + description + ": empty (all zeros)");
        float[] d = new float[src.length];
        for (int k = 0; k < d.length; k++) d[k] = (float) (src[k] / sum);
        Volume u = new Volume(v.width(), v.height(), v.depth(), d);
        return new Psf(u.planes(), description, u, voxel == null ? Calibration.none() : voxel);
    }

    public static Psf of(Plane plane, String description) {
        return of(List.of(plane), description);
    }

    public List<Plane> planes() { return planes; }
    public Plane plane(int i) { return planes.get(i); }
    public int size() { return planes.size(); }
    public int width() { return planes.get(0).width(); }
    public int height() { return planes.get(0).height(); }
    public String description() { return description; }

    /** True for a 3D PSF (one volume of unit total sum), false for a plane or a stack of per-frame PSFs. */
    public boolean isVolume() { return volume != null; }

    /** The 3D PSF; a 2D PSF or a per-frame stack here is an error rather than a silent reinterpretation. */
    public Volume volume() {
        if (volume == null) {
            throw new InputException("PSF " + description + " is a 2D PSF" + (planes.size() > 1 ? " stack (one per frame)" : "")
                    + "; a 3D reconstruction needs a 3D PSF (a z-stack, Born & Wolf or Gibson-Lanni)");
        }
        return volume;
    }

    /** The voxel (pixel) size of a 3D PSF, {@link Calibration#none()} when unknown or for 2D PSFs. */
    public Calibration voxel() { return voxel; }

    public int depth() { return planes.size(); }

    /** A PSF that does not fit inside the image cannot be a blur of it: refuse instead of wrapping around. */
    public void requireFits(int imageWidth, int imageHeight) {
        if (width() > imageWidth || height() > imageHeight) {
            throw new InputException("PSF " + description + " (" + width() + "x" + height()
                    + ") is larger than the image (" + imageWidth + "x" + imageHeight + "); crop the PSF");
        }
    }

    /** A 3D PSF larger than the volume cannot be a blur of it. */
    public void requireFits(int imageWidth, int imageHeight, int imageDepth) {
        requireFits(imageWidth, imageHeight);
        if (depth() > imageDepth) {
            throw new InputException("PSF " + description + " has " + depth() + " slices, more than the data's "
                    + imageDepth + "; crop the PSF in z");
        }
    }

    /** The single plane of a 2D PSF; a stack here is an error rather than a silent choice of slice. */
    public Plane single() {
        if (planes.size() != 1) {
            throw new InputException("PSF " + description + " has " + planes.size()
                    + " slices; a 2D reconstruction needs one (use " + Setting.MULTI_FRAME + " for one PSF per frame)");
        }
        return planes.get(0);
    }
}
