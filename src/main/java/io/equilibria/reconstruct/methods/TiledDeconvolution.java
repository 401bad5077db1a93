package io.equilibria.reconstruct.methods;

import io.equilibria.reconstruct.report.Reconstruction;

import java.util.List;

/**
 * A deconvolution cut into parts that can be solved in any order, in any process, and assembled into exactly what
 * {@link Deconvolution#run} returns (same bytes at the same thread count). A part is one tile of the image's
 * {@link io.equilibria.reconstruct.tiling.TileGrid} across every plane (warm-started plane to plane as in the
 * sequential run), or one x/y tile of one time point's volume. The normalisation and noise level are the whole
 * image's, computed alike by whoever plans it, so the parts agree. Made by {@link Deconvolution#tiled}.
 */
public interface TiledDeconvolution {
    /** How many parts (1 when the image fits its memory budget whole). */
    int parts();

    /** The tile grid, as the report names it. */
    String grid();

    /** Solves part {@code part} (0 ≤ part < {@link #parts()}); {@code listener} sees its solves. */
    TilePart solve(int part, Deconvolution.PlaneListener listener);

    /** The reconstruction from every part (any order; each part once). */
    Reconstruction assemble(List<TilePart> parts);
}
