package io.equilibria.reconstruct.tiling;

import io.equilibria.errors.Setting;

import io.equilibria.errors.MemoryException;

import java.util.Locale;

/**
 * How much memory a reconstruction needs, and the tiles that keep it within a budget.
 *
 * <p>Peak resident memory ≈ fixed(method) + heap × W·H·K + perPixel(method) × (tile + PSF padding)² × K, for K frames.
 * The constants were measured on the CPU with {@code /usr/bin/time -f %M} on the camera man scaled to 512², 1024²
 * and 2048², Gaussian σ 2 px PSF, extended boundary (see {@code bench batch}, which re-checks the budget): fixed is
 * the JVM, libtorch and the model (DEQ: with its denoiser's tile activations); perPixel covers the FFT domain's
 * tensors (the iterate, the solver's history, spectra). The figures are rounded up: a budget is a ceiling.</p>
 */
public final class MemoryModel {
    /** Fixed MiB and bytes per pixel of the solver's domain, per method. */
    public record Cost(double fixedMiB, double bytesPerPixel) {}

    /** Java-side copies of the whole image kept during a run (input, normalised, accumulated result, output). */
    static final double HEAP_BYTES_PER_IMAGE_PIXEL = 24;
    /** The smallest tile core worth running (below this the halo dominates the work). */
    static final int MIN_CORE = 64;

    private MemoryModel() {}

    public static Cost cost(String method) {
        return switch (method) {
            case "deq", "pnp", "oder" -> new Cost(580, 370);
            case "tv" -> new Cost(260, 260);
            case "wiener", "rltv" -> new Cost(260, 230);
            default -> new Cost(260, 190);
        };
    }

    /** The default budget: three quarters of the memory this process may use (the container's limit where there is one). */
    public static long defaultBudgetBytes() {
        long total = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        return (long) (0.75 * total);
    }

    /** Estimated peak bytes for a W×H×K image solved in tiles of the given extended size. */
    public static double estimate(String method, int width, int height, int frames, int tileW, int tileH, int psfW, int psfH) {
        return estimate(method, width, height, frames, frames, tileW, tileH, psfW, psfH);
    }

    /**
     * Estimated peak bytes for a W×H×D volume solved in x/y tiles of the given size: its domain has D + psfD − 1
     * planes (the extended boundary in z), each costing what a plane of a 2D solve does.
     */
    public static double estimateVolume(String method, int width, int height, int depth, int tileW, int tileH, int psfW,
                                        int psfH, int psfD) {
        return estimate(method, width, height, depth, depth + psfD - 1, tileW, tileH, psfW, psfH);
    }

    private static double estimate(String method, int width, int height, int imagePlanes, int domainPlanes, int tileW,
                                   int tileH, int psfW, int psfH) {
        Cost c = cost(method);
        return c.fixedMiB() * 1024 * 1024 + HEAP_BYTES_PER_IMAGE_PIXEL * (double) width * height * imagePlanes
                + c.bytesPerPixel() * (double) (tileW + psfW) * (tileH + psfH) * domainPlanes;
    }

    /**
     * The fewest tiles that fit {@code budgetBytes}: the whole image when it fits, else square cores as large as the
     * budget allows, each grown by {@code halo}. Throws {@link MemoryException} when even the smallest tile does not fit.
     */
    public static TileGrid plan(String method, int width, int height, int frames, int psfW, int psfH, int halo, long budgetBytes) {
        return plan(method, width, height, frames, frames, psfW, psfH, halo, budgetBytes);
    }

    /** As {@link #plan} for a W×H×D volume tiled in x and y (every tile keeps the whole depth). */
    public static TileGrid planVolume(String method, int width, int height, int depth, int psfW, int psfH, int psfD, int halo,
                                      long budgetBytes) {
        return plan(method, width, height, depth, depth + psfD - 1, psfW, psfH, halo, budgetBytes);
    }

    private static TileGrid plan(String method, int width, int height, int imagePlanes, int domainPlanes, int psfW, int psfH,
                                 int halo, long budgetBytes) {
        if (estimate(method, width, height, imagePlanes, domainPlanes, width, height, psfW, psfH) <= budgetBytes) {
            return TileGrid.whole(width, height);
        }
        Cost c = cost(method);
        double heap = HEAP_BYTES_PER_IMAGE_PIXEL * (double) width * height * imagePlanes;
        double left = budgetBytes - c.fixedMiB() * 1024 * 1024 - heap;
        int side = left <= 0 ? 0 : (int) Math.floor(Math.sqrt(left / (c.bytesPerPixel() * domainPlanes)));
        int core = side - 2 * halo - Math.max(psfW, psfH);
        if (core < Math.max(MIN_CORE, halo)) {
            int smallest = Math.max(MIN_CORE, halo) + 2 * halo;
            double need = estimate(method, width, height, imagePlanes, domainPlanes, smallest, smallest, psfW, psfH);
            throw new MemoryException(String.format(Locale.ROOT, "%s %s is too small for a %dx%d%s image with method %s: "
                    + "it needs at least %s (the runtime and model take %.0f MiB, the image itself %.0f MiB, and the smallest tile "
                    + "%d px with its %d px halo)", Setting.MEMORY_BUDGET, mib(budgetBytes), width, height,
                    imagePlanes > 1 ? "x" + imagePlanes : "", method, mib((long) need),
                    c.fixedMiB(), heap / (1 << 20), Math.max(MIN_CORE, halo), halo));
        }
        return TileGrid.of(width, height, core, halo);
    }

    /** Parses 512m, 2g, 1500 (MiB), 2GiB … into bytes. */
    public static long parseBytes(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        double f = 1 << 20;
        if (s.endsWith("k")) { f = 1 << 10; s = s.substring(0, s.length() - 1); }
        else if (s.endsWith("m")) { s = s.substring(0, s.length() - 1); }
        else if (s.endsWith("g")) { f = 1L << 30; s = s.substring(0, s.length() - 1); }
        else if (s.endsWith("t")) { f = 1L << 40; s = s.substring(0, s.length() - 1); }
        try {
            double v = Double.parseDouble(s.trim());
            if (!(v > 0) || Double.isInfinite(v)) throw new NumberFormatException();
            return (long) (v * f);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(Setting.MEMORY_BUDGET + " must be a size such as 2g, 1500m or 800 (MiB), got '" + spec + "'");
        }
    }

    public static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
    }
}
