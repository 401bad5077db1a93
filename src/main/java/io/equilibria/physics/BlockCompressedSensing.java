package io.equilibria.physics;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Block compressed sensing: the image (padded to a multiple of the block size) is cut into B x B blocks and each
 * block is measured by the same m x B² matrix with orthonormal rows (Gaussian, or subsampled Walsh–Hadamard).
 * Measurements have shape {@code (blocks, m)}. The m rows are partitioned into I contiguous groups; group i is
 * block {@code A_i} of the operator (for ODER).
 */
public final class BlockCompressedSensing implements LinearOperator {
    private final NDManager manager;
    private final SensingMatrix.Kind kind;
    private final int block, height, width, paddedH, paddedW;
    private final int rows;            // rows of this (possibly restricted) operator
    private final int totalRows;
    private final int[] groupStart;    // I+1 boundaries in the full row list
    private final int[] groups;        // groups this operator holds
    private final NDArray phi;         // (rows, B²)
    private final NDArray phiT;
    private final double ratio;
    private final long seed;

    private BlockCompressedSensing(NDManager manager, SensingMatrix.Kind kind, int block, int height, int width,
                                   int totalRows, int[] groupStart, int[] groups, NDArray phi, double ratio, long seed) {
        this.manager = manager;
        this.kind = kind;
        this.block = block;
        this.height = height;
        this.width = width;
        this.paddedH = ceilDiv(height, block) * block;
        this.paddedW = ceilDiv(width, block) * block;
        this.totalRows = totalRows;
        this.groupStart = groupStart;
        this.groups = groups;
        this.phi = phi;
        this.phiT = phi.transpose();
        this.rows = (int) phi.getShape().get(0);
        this.ratio = ratio;
        this.seed = seed;
    }

    /** {@code m = round(ratio * B²)} rows, in {@code groupCount} groups of (nearly) equal size. */
    public static BlockCompressedSensing create(NDManager parent, SensingMatrix.Kind kind, int height, int width,
                                                int block, double ratio, int groupCount, long seed) {
        if (block < 2) throw new IllegalArgumentException("block size must be >= 2");
        if (!(ratio > 0 && ratio <= 1)) throw new IllegalArgumentException("ratio must be in (0, 1], got " + ratio);
        if (height < 1 || width < 1) throw new IllegalArgumentException("empty image");
        int n = block * block;
        int m = (int) Math.round(ratio * n);
        if (m < 1) throw new IllegalArgumentException("ratio " + ratio + " gives no measurement rows for block " + block);
        if (groupCount < 1 || groupCount > m) throw new IllegalArgumentException("groups must be in 1.." + m);
        if (kind == SensingMatrix.Kind.HADAMARD && block > 128) throw new IllegalArgumentException("Hadamard block must be <= 128");
        int[] start = new int[groupCount + 1];
        for (int g = 0; g <= groupCount; g++) start[g] = (int) Math.round((double) g * m / groupCount);
        int[] all = new int[groupCount];
        for (int g = 0; g < groupCount; g++) all[g] = g;
        NDManager mgr = parent.newSubManager();
        NDArray phi = Tensors.owned(mgr.create(SensingMatrix.create(kind, m, n, seed), new Shape(m, n)));
        return new BlockCompressedSensing(mgr, kind, block, height, width, m, start, all, phi, ratio, seed);
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    @Override
    public Shape domainShape() { return new Shape(paddedH, paddedW); }

    @Override
    public Shape rangeShape() { return new Shape(blockCount(paddedH, paddedW), rows); }

    private long blockCount(int h, int w) { return (long) (h / block) * (w / block); }

    /** (H, W) image to (blocks, B²) rows, blocks in raster order. */
    private NDArray toBlocks(NDArray x) {
        int hb = paddedH / block, wb = paddedW / block;
        return x.reshape(hb, block, wb, block).transpose(0, 2, 1, 3).reshape(hb * wb, block * block);
    }

    private NDArray fromBlocks(NDArray b) {
        int hb = paddedH / block, wb = paddedW / block;
        return b.reshape(hb, wb, block, block).transpose(0, 2, 1, 3).reshape(paddedH, paddedW);
    }

    @Override
    public NDArray apply(NDArray x) {
        FftConvolution.requireShape(x, domainShape(), "apply");
        return toBlocks(x).matMul(phiT);
    }

    @Override
    public NDArray adjoint(NDArray y) {
        FftConvolution.requireShape(y, rangeShape(), "adjoint");
        return fromBlocks(y.matMul(phi));
    }

    @Override
    public NDArray toImage(NDArray x) {
        if (paddedH == height && paddedW == width) return x;
        return x.get(new NDIndex("0:" + height + ", 0:" + width));
    }

    @Override
    public int blockCount() { return groups.length; }

    @Override
    public LinearOperator restrict(int... blocks) {
        NDManager m = manager.newSubManager();
        List<NDArray> parts = new ArrayList<>();
        int[] chosen = new int[blocks.length];
        for (int i = 0; i < blocks.length; i++) {
            int g = groups[blocks[i]];
            chosen[i] = g;
            parts.add(phi.get(new NDIndex(localStart(blocks[i]) + ":" + localEnd(blocks[i]))));
        }
        NDArray sub = NDArrays.concat(new NDList(parts), 0);
        sub.attach(m);
        return new BlockCompressedSensing(m, kind, block, height, width, totalRows, groupStart, chosen, sub, ratio, seed);
    }

    private int localStart(int localGroup) {
        int off = 0;
        for (int i = 0; i < localGroup; i++) off += groupSize(groups[i]);
        return off;
    }

    private int localEnd(int localGroup) { return localStart(localGroup) + groupSize(groups[localGroup]); }

    private int groupSize(int g) { return groupStart[g + 1] - groupStart[g]; }

    @Override
    public NDArray measurementsOf(NDArray y, int... blocks) {
        List<NDArray> parts = new ArrayList<>();
        for (int b : blocks) parts.add(y.get(new NDIndex(":, " + localStart(b) + ":" + localEnd(b))));
        return NDArrays.concat(new NDList(parts), 1);
    }

    /**
     * A split of every block's measurement rows for cross-validation: row j (of this operator's rows) is held out when
     * j % k == k − 1, so the held-out rows are spread over the whole list (a subsampled Hadamard's rows are ordered).
     * Each part is this operator restricted to its rows (still orthonormal), with its measurements.
     *
     * @param k one row in k is held out (k ≥ 2, and each part keeps at least one row)
     */
    public Split split(NDArray y, int k) {
        FftConvolution.requireShape(y, rangeShape(), "split");
        if (k < 2 || rows / k < 1) throw new IllegalArgumentException("cannot hold out one row in " + k + " of " + rows);
        int held = rows / k; // rows k−1, 2k−1, …
        float[] fit = new float[(rows - held) * rows], val = new float[held * rows];
        for (int j = 0, f = 0, v = 0; j < rows; j++) {
            if (j % k == k - 1) val[(v++) * rows + j] = 1;
            else fit[(f++) * rows + j] = 1;
        }
        return new Split(part(fit, rows - held), part(val, held), select(y, fit, rows - held), select(y, val, held));
    }

    /** The two parts of {@link #split}: operators and their measurements (the caller closes the operators). */
    public record Split(BlockCompressedSensing fit, BlockCompressedSensing validation, NDArray yFit, NDArray yValidation) {}

    private BlockCompressedSensing part(float[] selection, int n) {
        NDManager m = manager.newSubManager();
        NDArray s = Tensors.owned(m.create(selection, new Shape(n, rows))).toType(phi.getDataType(), false);
        NDArray sub = s.matMul(phi);
        sub.attach(m);
        return new BlockCompressedSensing(m, kind, block, height, width, n, new int[] {0, n}, new int[] {0}, sub, ratio, seed);
    }

    private static NDArray select(NDArray y, float[] selection, int n) {
        try (NDArray s = Tensors.owned(y.getManager().create(selection, new Shape(n, y.getShape().get(1)))).toType(y.getDataType(), false)) {
            return y.matMul(s.transpose());
        }
    }

    public int block() { return block; }
    public int rows() { return rows; }

    @Override
    public double nullSpaceFraction() {
        return Math.max(0, 1 - (double) rows / ((double) block * block));
    }

    @Override
    public Map<String, Object> spec() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("operator", "block-cs");
        s.put("matrix", kind.toString());
        s.put("block", block);
        s.put("ratio", ratio);
        s.put("rows", totalRows);
        s.put("groups", groupStart.length - 1);
        s.put("seed", seed);
        s.put("height", height);
        s.put("width", width);
        return s;
    }

    @Override
    public void close() {
        manager.close();
    }
}
