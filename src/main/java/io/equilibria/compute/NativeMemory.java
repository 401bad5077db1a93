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
            return tuned = (ok ? "glibc mallopt: mmap threshold " + (MMAP_THRESHOLD >> 20) + " MiB, trim threshold "
                    + (TRIM_THRESHOLD >> 20) + " MiB, top pad " + (TOP_PAD >> 20) + " MiB"
                    : "glibc refused a mallopt parameter (defaults kept where refused)");
        } catch (UnsatisfiedLinkError e) {
            return tuned = "not tuned (no mallopt)";
        }
    }

    /**
     * Asks PyTorch to allocate tensors of 2 MiB and more on transparent huge pages ({@code THP_MEM_ALLOC_ENABLE=1},
     * read once, at its first allocation, so this must run before any tensor exists). Why: every large tensor is fresh
     * memory that the kernel maps page by page on first touch; with 4 KiB pages a 128 MiB FFT output cost 31 k page
     * faults, and on a 96×576×576 grid the five steps of one convolution took 2.2 s against 0.54 s on huge pages
     * (measured here; the kernel's THP mode is madvise). A value the user set is kept. Only volume runs ask
     * ({@link #keepLargeBlocks}), and it takes effect only if no tensor was made before in the process: with huge pages,
     * a seeded U-Net's training no longer resumed bit for bit (UNetTest), so training keeps 4 KiB pages.
     */
    private static String hugePages() {
        if (LIBC.getenv("THP_MEM_ALLOC_ENABLE") != null) return "THP_MEM_ALLOC_ENABLE=" + LIBC.getenv("THP_MEM_ALLOC_ENABLE") + " (as set)";
        return LIBC.setenv("THP_MEM_ALLOC_ENABLE", "1", 0) == 0 ? "PyTorch tensors >= 2 MiB on huge pages" : "huge pages not requested";
    }

    private static volatile String largeBlocks;

    /**
     * Serves even the largest blocks from the heap instead of fresh mmaps, and keeps freed ones there, from now on in
     * this process (glibc's {@code M_MMAP_MAX} = 0, {@code M_TRIM_THRESHOLD} = 2 GiB). Why: a volume's tensors are all larger than the 32 MiB mmap threshold (glibc's
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
            // and no automatic trimming of the heap's free top: a volume's 100-250 MiB spectra, freed at the end of an
            // iteration, crossed the 256 MiB trim threshold and were handed back and faulted in again every iteration
            // (64×512×512, PSF 33³: 7.1 M minor faults in 10 iterations, 8.9 s each)
            String thp = hugePages();
            boolean ok = LIBC.mallopt(M_MMAP_MAX, 0) == 1 & LIBC.mallopt(M_TRIM_THRESHOLD, Integer.MAX_VALUE) == 1;
            return largeBlocks = (ok ? "glibc mallopt: no mmap and no automatic trim for large blocks (heap reuse)"
                    : "glibc refused M_MMAP_MAX or M_TRIM_THRESHOLD (large blocks may be mapped or trimmed)") + "; " + thp;
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
