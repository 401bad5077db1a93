package io.equilibria.reconstruct.tiling;

import io.equilibria.image.Plane;

import java.util.ArrayList;
import java.util.List;

/**
 * Overlapping tiles of a W×H image and the weights that blend their results seamlessly.
 *
 * <p>The image is cut into nx × ny cores (a near-equal split on each axis). Each tile is its core grown by the halo h
 * on every side that is not the image border; it is reconstructed as an image of its own, so its cut edges carry
 * boundary artefacts that decay inwards. Only the inner part of the halo is used: across each cut, the two tiles'
 * weights cross-fade as sin² / cos² over the band cut ± h/2, so the weights sum to exactly 1 everywhere and every
 * pixel used lies at least h/2 from the cut edge of the tile it came from.</p>
 */
public final class TileGrid {
    /** A tile: its extended region {@code [x0, x0+width) × [y0, y0+height)} and its index on each axis. */
    public record Tile(int index, int ix, int iy, int x0, int y0, int width, int height) {
        public long pixels() { return (long) width * height; }
    }

    private final int width, height, halo, blend;
    private final int[] cutsX, cutsY;
    private final List<Tile> tiles = new ArrayList<>();

    private TileGrid(int width, int height, int nx, int ny, int halo) {
        this.width = width;
        this.height = height;
        this.halo = halo;
        this.cutsX = cuts(width, nx);
        this.cutsY = cuts(height, ny);
        int minCore = Math.min(minGap(cutsX), minGap(cutsY));
        // the fade must stay inside the halo and must not reach the next cut
        this.blend = Math.max(1, Math.min(halo / 2, minCore / 2));
        for (int iy = 0; iy < ny; iy++) {
            for (int ix = 0; ix < nx; ix++) {
                int x0 = Math.max(0, cutsX[ix] - halo), x1 = Math.min(width, cutsX[ix + 1] + halo);
                int y0 = Math.max(0, cutsY[iy] - halo), y1 = Math.min(height, cutsY[iy + 1] + halo);
                tiles.add(new Tile(tiles.size(), ix, iy, x0, y0, x1 - x0, y1 - y0));
            }
        }
    }

    /** One tile: the whole image. */
    public static TileGrid whole(int width, int height) {
        return new TileGrid(width, height, 1, 1, 0);
    }

    /** The fewest tiles whose cores are at most {@code maxCore} pixels on a side, with the given halo. */
    public static TileGrid of(int width, int height, int maxCore, int halo) {
        if (maxCore < 1 || halo < 0) throw new IllegalArgumentException("need core >= 1 and halo >= 0");
        int nx = (width + maxCore - 1) / maxCore, ny = (height + maxCore - 1) / maxCore;
        return new TileGrid(width, height, nx, ny, nx == 1 && ny == 1 ? 0 : halo);
    }

    public List<Tile> tiles() { return tiles; }
    public int size() { return tiles.size(); }
    public int halo() { return halo; }
    public int blendWidth() { return 2 * blend; }
    public int columns() { return cutsX.length - 1; }
    public int rows() { return cutsY.length - 1; }

    /** The largest tile (the memory a tile needs). */
    public Tile largest() {
        return tiles.stream().max(java.util.Comparator.comparingLong(Tile::pixels)).orElseThrow();
    }

    /** The tile's part of {@code plane} (a W×H image). */
    public Plane crop(Plane plane, Tile t) {
        if (plane.width() != width || plane.height() != height) throw new IllegalArgumentException("plane size differs from the grid's");
        float[] d = new float[t.width() * t.height()];
        for (int y = 0; y < t.height(); y++) System.arraycopy(plane.data(), (t.y0() + y) * width + t.x0(), d, y * t.width(), t.width());
        return new Plane(t.width(), t.height(), d);
    }

    /** Adds {@code weight × result} of tile {@code t} into {@code target} (W×H, row-major). */
    public void accumulate(Tile t, Plane result, float[] target) {
        double[] wx = weights(cutsX, t.ix(), t.x0(), t.width()), wy = weights(cutsY, t.iy(), t.y0(), t.height());
        for (int y = 0; y < t.height(); y++) {
            if (wy[y] == 0) continue;
            int row = (t.y0() + y) * width + t.x0();
            for (int x = 0; x < t.width(); x++) {
                double w = wy[y] * wx[x];
                if (w != 0) target[row + x] += (float) (w * result.data()[y * t.width() + x]);
            }
        }
    }

    /** The 1D weight of core {@code i} at positions {@code from … from+n−1}: a sin² rise across its left cut, a cos² fall across its right. */
    double[] weights(int[] cuts, int i, int from, int n) {
        double[] w = new double[n];
        for (int k = 0; k < n; k++) {
            double pos = from + k + 0.5;
            double v = 1;
            if (i > 0) v *= rise(pos, cuts[i]);
            if (i < cuts.length - 2) v *= 1 - rise(pos, cuts[i + 1]);
            w[k] = v;
        }
        return w;
    }

    private double rise(double pos, int cut) {
        double s = (pos - (cut - blend)) / (2.0 * blend);
        if (s <= 0) return 0;
        if (s >= 1) return 1;
        double sin = Math.sin(Math.PI / 2 * s);
        return sin * sin;
    }

    private static int[] cuts(int size, int n) {
        int[] c = new int[n + 1];
        for (int k = 0; k <= n; k++) c[k] = (int) Math.round((double) k * size / n);
        return c;
    }

    private static int minGap(int[] cuts) {
        int m = Integer.MAX_VALUE;
        for (int k = 0; k + 1 < cuts.length; k++) m = Math.min(m, cuts[k + 1] - cuts[k]);
        return m;
    }

    @Override
    public String toString() {
        return size() == 1 ? "untiled" : columns() + "x" + rows() + " tiles (largest " + largest().width() + "x"
                + largest().height() + " px with a " + halo + " px halo, cross-fade " + blendWidth() + " px)";
    }
}
