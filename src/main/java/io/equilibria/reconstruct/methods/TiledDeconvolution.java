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

    /** The parts indexed by their number, each of the {@code n} exactly once. */
    static TilePart[] byIndex(List<TilePart> parts, int n) {
        TilePart[] by = new TilePart[n];
        for (TilePart p : parts) {
            if (p.part() < 0 || p.part() >= n || by[p.part()] != null) {
                throw new IllegalArgumentException("part " + p.part() + " is out of range or given twice (" + n + " parts)");
            }
            by[p.part()] = p;
        }
        for (int k = 0; k < n; k++) if (by[k] == null) throw new IllegalArgumentException("part " + k + " of " + n + " is missing");
        return by;
    }

    /**
     * Several deconvolutions (a hyperstack's time points, an image's channels) as one: their parts numbered one after
     * the other, and the reconstructions, assembled in order, joined by {@code join}.
     */
    static TiledDeconvolution sequence(List<? extends TiledDeconvolution> each, String grid,
                                       java.util.function.Function<List<Reconstruction>, Reconstruction> join) {
        int[] first = new int[each.size() + 1];
        for (int i = 0; i < each.size(); i++) first[i + 1] = first[i] + each.get(i).parts();
        return new TiledDeconvolution() {
            @Override public int parts() { return first[each.size()]; }
            @Override public String grid() { return grid; }

            @Override
            public TilePart solve(int part, Deconvolution.PlaneListener listener) {
                if (part < 0 || part >= parts()) throw new IllegalArgumentException("part " + part + " of " + parts());
                int i = 0;
                while (part >= first[i + 1]) i++;
                TilePart p = each.get(i).solve(part - first[i], listener);
                return new TilePart(part, p.solves(), p.ledger());
            }

            @Override
            public Reconstruction assemble(List<TilePart> parts) {
                TilePart[] by = byIndex(parts, parts());
                List<Reconstruction> done = new java.util.ArrayList<>(each.size());
                for (int i = 0; i < each.size(); i++) {
                    List<TilePart> own = new java.util.ArrayList<>();
                    for (int k = first[i]; k < first[i + 1]; k++) own.add(new TilePart(k - first[i], by[k].solves(), by[k].ledger()));
                    done.add(each.get(i).assemble(own));
                }
                return join.apply(done);
            }
        };
    }
}
