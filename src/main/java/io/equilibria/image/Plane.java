package io.equilibria.image;

/** One 2D plane of float pixels, row-major ({@code data[y * width + x]}). */
public record Plane(int width, int height, float[] data) {
    public Plane {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("empty plane " + width + "x" + height);
        if (data.length != (long) width * height) throw new IllegalArgumentException("data length mismatch");
    }

    public static Plane zeros(int width, int height) {
        return new Plane(width, height, new float[width * height]);
    }

    public float get(int x, int y) {
        return data[y * width + x];
    }

    /** The central size×size part (the larger side's extra split evenly, as in a centre crop). */
    public Plane centreCrop(int size) {
        if (size > width || size > height) throw new IllegalArgumentException("crop " + size + " exceeds " + width + "x" + height);
        int x0 = (width - size) / 2, y0 = (height - size) / 2;
        float[] d = new float[size * size];
        for (int y = 0; y < size; y++) System.arraycopy(data, (y0 + y) * width + x0, d, y * size, size);
        return new Plane(size, size, d);
    }

    /** Min–max scaled to [0, 1] (a constant plane becomes zeros). */
    public Plane toUnitRange() {
        float lo = min(), hi = max();
        float[] d = new float[data.length];
        for (int i = 0; i < d.length; i++) d[i] = hi > lo ? (data[i] - lo) / (hi - lo) : 0;
        return new Plane(width, height, d);
    }

    public Plane copy() {
        return new Plane(width, height, data.clone());
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

    /** Index of the first non-finite pixel or -1. */
    public int firstNonFinite() {
        for (int i = 0; i < data.length; i++) if (!Float.isFinite(data[i])) return i;
        return -1;
    }
}
