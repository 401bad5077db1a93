package io.equilibria.physics;

import io.equilibria.image.Plane;

/** Plane utilities used by the physics: mirror padding and cropping. */
public final class Planes {
    private Planes() {}

    /** Symmetric (half-sample) mirror padding, repeated as needed for pads larger than the image. */
    public static Plane reflectPad(Plane p, int top, int bottom, int left, int right) {
        int w = p.width(), h = p.height();
        int nw = w + left + right, nh = h + top + bottom;
        float[] d = new float[nw * nh];
        for (int y = 0; y < nh; y++) {
            int sy = mirror(y - top, h);
            for (int x = 0; x < nw; x++) d[y * nw + x] = p.data()[sy * w + mirror(x - left, w)];
        }
        return new Plane(nw, nh, d);
    }

    static int mirror(int i, int n) {
        int period = 2 * n;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - 1 - m;
    }

    public static Plane crop(Plane p, int x0, int y0, int w, int h) {
        float[] d = new float[w * h];
        for (int y = 0; y < h; y++) System.arraycopy(p.data(), (y + y0) * p.width() + x0, d, y * w, w);
        return new Plane(w, h, d);
    }
}
