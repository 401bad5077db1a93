package io.equilibria.compute;

/**
 * Tunes glibc's allocator for tensor work and hands freed native memory back to the operating system (glibc's
 * {@code mallopt} and {@code malloc_trim}, through JNA).
 *
 * <p>{@link #tuneAllocator()}: PyTorch allocates every intermediate tensor with malloc. With glibc's defaults each
 * multi-megabyte activation is mmapped and unmapped, or the heap top is trimmed after it is freed, so the next call
 * faults every page in again: a 10-layer width-16 DnCNN on 280² spent more time in page faults than in convolutions
 * (80 calls: 15.5 s, 1.07 M minor faults; with the settings below 3.3 s, 69 k faults; measured here, one thread).
 * A fixed mmap threshold (32 MiB, glibc's largest), a trim threshold of 256 MiB and a 64 MiB top pad keep the
 * pages in the heap between calls; an explicit {@link #trim()} still returns them when a tiled run asks.
 *
 * <p>{@link #trim()}: Why: PyTorch's CPU tensors come from malloc; after large blocks are freed, glibc raises its mmap
 * threshold and keeps later blocks of that size in its arenas, so the resident size of a long tiled run crept 35%
 * above the same tiling's short run (4096², 3×3 tiles: 2325 against 1699 MiB). Trimming between solver iterations of
 * large tiles keeps a memory budget a budget. Elsewhere than Linux/glibc it does nothing.
 */
public final class NativeMemory {
    // glibc's malloc.h
    private static final int M_TRIM_THRESHOLD = -1, M_TOP_PAD = -2, M_MMAP_THRESHOLD = -3, M_MMAP_MAX = -4;
    static final int MMAP_THRESHOLD = 32 << 20, TRIM_THRESHOLD = 256 << 20, TOP_PAD = 64 << 20;
    private static volatile String tuned;

    private static final LibC LIBC = LibC.INSTANCE; // null: not glibc, nothing to tune or trim

    private NativeMemory() {}

    /**
     * Sets the allocator parameters above, once per process (later calls return the first outcome). Returns what was
     * done, for reports: a description, or why nothing was (not Linux/glibc, or a parameter refused).
     */
    public static synchronized String tuneAllocator() {
        if (tuned != null) return tuned;
        if (Boolean.getBoolean("equilibria.malloc.default")) return tuned = "glibc defaults (-Dequilibria.malloc.default=true)";
        if (LIBC == null) return tuned = "not tuned (no glibc)";
        try {
            boolean ok = LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                    & LIBC.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
                    & LIBC.mallopt(M_TOP_PAD, TOP_PAD) == 1;
            return tuned = ok ? "glibc mallopt: mmap threshold " + (MMAP_THRESHOLD >> 20) + " MiB, trim threshold "
                    + (TRIM_THRESHOLD >> 20) + " MiB, top pad " + (TOP_PAD >> 20) + " MiB"
                    : "glibc refused a mallopt parameter (defaults kept where refused)";
        } catch (UnsatisfiedLinkError e) {
            return tuned = "not tuned (no mallopt)";
        }
    }

    private static volatile String largeBlocks;

    /**
     * Serves even the largest blocks from the heap instead of fresh mmaps, from now on in this process (glibc's
     * {@code M_MMAP_MAX} = 0). Why: a volume's tensors are all larger than the 32 MiB mmap threshold (glibc's
     * largest), so every one of them was mapped and unmapped, and each RL iteration on 64×256×256 faulted its pages in
     * again: 0.45 s per iteration against 0.29 s with this setting (measured here, PSF 33³). The pages stay in the
     * heap, are reused by the next iteration, and {@link #trim()} still returns them between tiles. Returns what was
     * done, for reports.
     */
    public static synchronized String keepLargeBlocks() {
        if (largeBlocks != null) return largeBlocks;
        if (Boolean.getBoolean("equilibria.malloc.default")) return largeBlocks = "glibc defaults (-Dequilibria.malloc.default=true)";
        if (LIBC == null) return largeBlocks = "not tuned (no glibc)";
        try {
            return largeBlocks = LIBC.mallopt(M_MMAP_MAX, 0) == 1 ? "glibc mallopt: no mmap for large blocks (heap reuse)"
                    : "glibc refused M_MMAP_MAX (large blocks mmapped)";
        } catch (UnsatisfiedLinkError e) {
            return largeBlocks = "not tuned (no mallopt)";
        }
    }

    /** Releases free heap pages to the OS; true if it could be asked. */
    public static boolean trim() {
        if (LIBC == null) return false;
        try {
            LIBC.malloc_trim(0);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }
}
