package io.equilibria.physics;

import io.equilibria.errors.Setting;

import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;

import java.util.ArrayList;
import java.util.List;

/**
 * A point-spread function: one plane, or a stack (3D PSF, or one PSF per frame). Its centre is the array centre
 * {@code (w/2, h/2)} (integer division), the convention of PSF generators and DeconvolutionLab2; planes are
 * normalised to unit sum so that blurring preserves flux.
 */
public final class Psf {
    private final List<Plane> planes;
    private final String description;

    private Psf(List<Plane> planes, String description) {
        this.planes = List.copyOf(planes);
        this.description = description;
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
        return new Psf(out, description);
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

    /** A PSF that does not fit inside the image cannot be a blur of it: refuse instead of wrapping around. */
    public void requireFits(int imageWidth, int imageHeight) {
        if (width() > imageWidth || height() > imageHeight) {
            throw new InputException("PSF " + description + " (" + width() + "x" + height()
                    + ") is larger than the image (" + imageWidth + "x" + imageHeight + "); crop the PSF");
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
