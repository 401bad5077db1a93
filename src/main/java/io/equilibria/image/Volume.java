package io.equilibria.image;

import java.util.ArrayList;
import java.util.List;

/**
 * One 3D volume of float voxels, z-major ({@code data[(z * height + y) * width + x]}): a z-stack seen as one object
 * (a 3D PSF, a phantom, the unknown of a 3D deconvolution) rather than as independent planes.
 */
public record Volume(int width, int height, int depth, float[] data) {
    public Volume {
        if (width <= 0 || height <= 0 || depth <= 0) {
            throw new IllegalArgumentException("empty volume " + width + "x" + height + "x" + depth);
        }
        if (data.length != (long) width * height * depth) throw new IllegalArgumentException("data length mismatch");
    }

    public static Volume zeros(int width, int height, int depth) {
        return new Volume(width, height, depth, new float[width * height * depth]);
    }

    /** The planes, first to last, as one volume; they must share one size. */
    public static Volume of(List<Plane> planes) {
        if (planes.isEmpty()) throw new IllegalArgumentException("a volume needs at least one plane");
        int w = planes.get(0).width(), h = planes.get(0).height();
        float[] d = new float[w * h * planes.size()];
        for (int z = 0; z < planes.size(); z++) {
            Plane p = planes.get(z);
            if (p.width() != w || p.height() != h) throw new IllegalArgumentException("planes of a volume must share one size");
            System.arraycopy(p.data(), 0, d, z * w * h, w * h);
        }
        return new Volume(w, h, planes.size(), d);
    }

    public int index(int x, int y, int z) {
        return (z * height + y) * width + x;
    }

    public float get(int x, int y, int z) {
        return data[index(x, y, z)];
    }

    /** Plane {@code z} (a copy). */
    public Plane plane(int z) {
        float[] d = new float[width * height];
        System.arraycopy(data, z * width * height, d, 0, d.length);
        return new Plane(width, height, d);
    }

    public List<Plane> planes() {
        List<Plane> out = new ArrayList<>(depth);
        for (int z = 0; z < depth; z++) out.add(plane(z));
        return out;
    }

    public double sum() {
        double s = 0;
        for (float v : data) s += v;
        return s;
    }

    public float max() {
        float m = Float.NEGATIVE_INFINITY;
        for (float v : data) m = Math.max(m, v);
        return m;
    }

    public float min() {
        float m = Float.POSITIVE_INFINITY;
        for (float v : data) m = Math.min(m, v);
        return m;
    }

    public Volume copy() {
        return new Volume(width, height, depth, data.clone());
    }
}
