package io.equilibria.image.registration;

/**
 * A 2D affine map p ↦ A p + t of pixel coordinates (x right, y down, origin at the first pixel's centre), stored as the
 * 2×3 matrix [a00 a01 tx; a10 a11 ty], with how well the registration that found it matched the frames
 * ({@code confidence}: the phase-correlation peak or ECC's correlation coefficient, in [0, 1]; NaN when given).
 * For a frame registered to a reference, it maps a reference pixel to where the same point lies in the frame.
 */
public record Transform2d(double a00, double a01, double tx, double a10, double a11, double ty, Motion motion, double confidence) {
    public static Transform2d identity() { return translation(0, 0); }

    public static Transform2d translation(double dx, double dy) {
        return new Transform2d(1, 0, dx, 0, 1, dy, Motion.TRANSLATION, Double.NaN);
    }

    /** A rotation by {@code degrees} (counter-clockwise on screen is negative here: y points down) about (cx, cy), then a shift. */
    public static Transform2d rotation(double degrees, double cx, double cy, double dx, double dy) {
        double r = Math.toRadians(degrees), c = Math.cos(r), s = Math.sin(r);
        return new Transform2d(c, -s, cx - c * cx + s * cy + dx, s, c, cy - s * cx - c * cy + dy, Motion.EUCLIDEAN, Double.NaN);
    }

    public double[] apply(double x, double y) {
        return new double[] {a00 * x + a01 * y + tx, a10 * x + a11 * y + ty};
    }

    public Transform2d inverse() {
        double det = a00 * a11 - a01 * a10;
        if (Math.abs(det) < 1e-12) throw new IllegalStateException("a singular transform has no inverse");
        double i00 = a11 / det, i01 = -a01 / det, i10 = -a10 / det, i11 = a00 / det;
        return new Transform2d(i00, i01, -(i00 * tx + i01 * ty), i10, i11, -(i10 * tx + i11 * ty), motion, confidence);
    }

    /** The 2×3 matrix as two rows, [[a00, a01, tx], [a10, a11, ty]] (the transforms files' "matrix"). */
    public java.util.List<java.util.List<Double>> rows() {
        return java.util.List.of(java.util.List.of(a00, a01, tx), java.util.List.of(a10, a11, ty));
    }

    /** The same linear part with the shift {@code (tx, ty)}. */
    public Transform2d withOffset(double x, double y) {
        return new Transform2d(a00, a01, x, a10, a11, y, motion, confidence);
    }

    public Transform2d withConfidence(double c) {
        return new Transform2d(a00, a01, tx, a10, a11, ty, motion, c);
    }

    /** The rotation angle in degrees (atan2 of the first column). */
    public double degrees() { return Math.toDegrees(Math.atan2(a10, a00)); }

    /** Root-mean-square distance between this map and {@code other} over a w × h pixel grid: how far apart they put points. */
    public double rmsDistance(Transform2d other, int w, int h) {
        double sum = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double[] p = apply(x, y), q = other.apply(x, y);
                sum += (p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]);
            }
        }
        return Math.sqrt(sum / ((double) w * h));
    }
}
