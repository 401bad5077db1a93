package io.equilibria.reconstruct.methods;


import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.Reconstructor;
import io.equilibria.solvers.IterationListener;


import ai.djl.Device;
import io.equilibria.image.ImageData;
import io.equilibria.image.Normalization;
import io.equilibria.image.Plane;
import io.equilibria.image.NoiseEstimate;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Psf;
import io.equilibria.reconstruct.tiling.MemoryModel;
import io.equilibria.reconstruct.tiling.TileGrid;

import io.equilibria.reconstruct.report.PlaneReport;
import io.equilibria.reconstruct.report.PsnrSummary;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.reconstruct.report.SolveStats;

import java.util.ArrayList;
import java.util.function.DoubleFunction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deblurs an image or stack — the core call behind the CLI and the ImageJ plugin. A stack is a series of
 * independent planes unless {@code multiFrame}, in which case its K planes are K observations of one scene, one PSF
 * slice each. Intensities are normalised for the solver and mapped back exactly, so results are in input units.
 */
public final class Deconvolution {
    /** Starting each slice of a stack from the previous slice's fixed point (learned methods). */
    public enum WarmStart {
        /** Every slice starts from the method's own initialisation. */
        OFF,
        /** Slices 2…N start from the previous slice's result (the default for learned methods on stacks). */
        ON,
        /** As ON, and every slice is also solved cold to report the exact iterations saved and the difference. */
        VERIFY;

        public static WarmStart parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("warm start must be on, off or verify, got '" + s + "'");
            }
        }
    }

    /**
     * Options beyond the method: boundary, normalisation spec, multi-frame, known noise sigma (input units), a reference
     * for a PSNR trace, warm starts across slices, and the memory budget in bytes that decides the tiling (0: three
     * quarters of the machine's memory; {@link Long#MAX_VALUE}: never tile), or a fixed tile core size; {@code volume}:
     * the stack is one 3D volume blurred by a 3D PSF ({@link VolumeDeconvolution}); {@code registration}: multi-frame
     * frames registered first ({@link ViewRegistration}), or null; {@code followDrift}: a warm start along a stack is
     * first moved by the drift measured between the two planes (phase correlation), so a drifting time-lapse keeps its
     * saving.
     */
    public record Options(Boundary boundary, String normalization, boolean multiFrame, double noiseSigma,
                          ImageData reference, WarmStart warmStart, long maxMemoryBytes, int tileCore, boolean volume,
                          io.equilibria.image.registration.RegistrationSpec registration, boolean followDrift) {
        public Options(Boundary boundary, String normalization, boolean multiFrame, double noiseSigma, ImageData reference) {
            this(boundary, normalization, multiFrame, noiseSigma, reference, WarmStart.ON, 0, 0, false, null, true);
        }

        public Options(Boundary boundary, String normalization, boolean multiFrame, double noiseSigma, ImageData reference,
                       WarmStart warmStart, long maxMemoryBytes, int tileCore, boolean volume) {
            this(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, maxMemoryBytes, tileCore, volume, null, true);
        }

        public static Options defaults() {
            return new Options(Boundary.EXTENDED, "percentile", false, Double.NaN, null);
        }

        public Options withWarmStart(WarmStart w) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, w, maxMemoryBytes, tileCore, volume, registration, followDrift);
        }

        public Options withMaxMemory(long bytes) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, bytes, tileCore, volume, registration, followDrift);
        }

        /** A ground truth for the PSNR after every iteration (input units), or null. */
        public Options withReference(ImageData ref) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, ref, warmStart, maxMemoryBytes, tileCore, volume, registration, followDrift);
        }

        /** Tiles of at most {@code core} pixels a side whatever the budget (0: from the budget). */
        public Options withTileCore(int core) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, maxMemoryBytes, core, volume, registration, followDrift);
        }

        /** The stack as one volume with a 3D PSF (true), or as planes (false). */
        public Options withVolume(boolean v) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, maxMemoryBytes, tileCore, v, registration, followDrift);
        }

        /**
         * Multi-frame: register the frames (drift, rotation) before they are deblurred together, and turn each frame's
         * PSF as its frame was turned onto the reference's grid (null: the frames are taken as aligned).
         */
        public Options withFollowDrift(boolean follow) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, maxMemoryBytes, tileCore, volume, registration, follow);
        }

        public Options withRegistration(io.equilibria.image.registration.RegistrationSpec r) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, maxMemoryBytes, tileCore, volume, r, followDrift);
        }

        long budget() { return maxMemoryBytes > 0 ? maxMemoryBytes : MemoryModel.defaultBudgetBytes(); }
    }

    /** Progress per unit of work (a plane, or a tile of a plane): its index, the unit count, and the solver's listener. */
    public interface PlaneListener {
        IterationListener forPlane(int plane, int planes);

        PlaneListener NONE = (p, n) -> IterationListener.NONE;
    }

    private Deconvolution() {}

    /**
     * Deblurs every plane (or, multi-frame, the one scene behind all frames). When the image does not fit the memory
     * budget it is solved in overlapping tiles ({@link TileGrid}), blended seamlessly; the noise level and the
     * normalisation are always those of the whole image, so tiles agree with each other.
     */
    public static Reconstruction run(ImageData input, Psf psf, MethodConfig method, Options options, Device device,
                                     PlaneListener listener) {
        MethodConfig m = options.volume() ? method.forVolume() : method;
        return run(input, psf, m, options, device, listener, sigma -> m.create(sigma, false));
    }

    /** As above with the reconstructor of each solve made by {@code reconstructors} from the noise level (tests fake it). */
    public static Reconstruction run(ImageData input, Psf psf, MethodConfig method, Options options, Device device,
                                     PlaneListener listener, DoubleFunction<Reconstructor> reconstructors) {
        if (options.volume()) return VolumeDeconvolution.run(input, psf, method, options, device, listener, reconstructors);
        return new PlaneTiles(input, psf, method, options, device, reconstructors).run(listener);
    }

    /**
     * The same deconvolution as {@link #run}, cut into parts to solve anywhere (e.g. the tiles of an image too large
     * for one worker, spread over a cluster) and assemble into the same result.
     */
    public static TiledDeconvolution tiled(ImageData input, Psf psf, MethodConfig method, Options options, Device device) {
        MethodConfig m = options.volume() ? method.forVolume() : method;
        return tiled(input, psf, m, options, device, sigma -> m.create(sigma, false));
    }

    /** As above with the reconstructors made by {@code reconstructors} from the noise level (tests fake it). */
    public static TiledDeconvolution tiled(ImageData input, Psf psf, MethodConfig method, Options options, Device device,
                                           DoubleFunction<Reconstructor> reconstructors) {
        if (options.volume()) return VolumeDeconvolution.tiled(input, psf, method, options, device, reconstructors);
        return new PlaneTiles(input, psf, method, options, device, reconstructors);
    }

    /**
     * A failure while solving {@code grid} of {@code what} (e.g. "a 2048x2048 image"): an allocation failure becomes a
     * {@link io.equilibria.errors.MemoryException} that names the budget and a smaller one to try; other runtime
     * exceptions are returned as they are and errors thrown.
     */
    static RuntimeException outOfMemory(Throwable e, TileGrid grid, String what, MethodConfig method, Options options, String tiles) {
        if (io.equilibria.errors.MemoryException.isAllocationFailure(e) && !(e instanceof io.equilibria.errors.MemoryException)) {
            return new io.equilibria.errors.MemoryException("ran out of memory solving " + grid + " of " + what + " with "
                    + method.method() + " (budget " + MemoryModel.mib(options.budget()) + "); rerun with a lower "
                    + io.equilibria.errors.Setting.MEMORY_BUDGET + ", e.g. " + MemoryModel.mib(options.budget() / 2).replace(" MiB", "m")
                    + ", so the " + tiles + " get smaller", e);
        }
        if (e instanceof RuntimeException r) return r;
        throw (Error) e;
    }

    /** For tiles of a million pixels or more, returns freed native memory to the OS after every iteration (see NativeMemory). */
    static IterationListener trimming(IterationListener inner, long pixels) {
        if (pixels < 1_000_000) return inner;
        return (k, max, x, change) -> {
            io.equilibria.compute.NativeMemory.trim();
            return inner.onIteration(k, max, x, change);
        };
    }

    /**
     * The halo a tile needs: three PSF radii (the blur couples pixels that far, and the iterations spread it further)
     * plus the prior's receptive radius, rounded up to 8 px.
     */
    static int halo(Psf psf, MethodConfig method, Device device) {
        return halo(psf.width(), psf.height(), method, device);
    }

    /** As above for a PSF of that lateral size (a volume's tiles are cut in x and y only). */
    static int halo(int psfWidth, int psfHeight, MethodConfig method, Device device) {
        int psfRadius = Math.max(psfWidth, psfHeight) / 2;
        int receptive = method.learned() ? io.equilibria.reconstruct.methods.LearnedReconstruction.receptiveRadius(method.modelName(false), device) : 0;
        int h = 3 * psfRadius + receptive + 8;
        return (h + 7) / 8 * 8;
    }

    static double noiseSigma(Options options, Normalization norm, Plane normalizedPlane, MethodConfig method) {
        if (!Double.isNaN(options.noiseSigma())) return norm.forwardSigma(options.noiseSigma());
        // learned models take the Poisson-Gaussian "effective" sigma they were trained with; the classical defaults
        // were tuned with the plain MAD estimate
        return method.learned() ? io.equilibria.priors.NoiseLevel.effective(normalizedPlane) : NoiseEstimate.sigma(normalizedPlane);
    }

    /** A plane's report from its tiles' results (see {@link SolveStats#ofTiles}) and the last tile's operator, with the per-tile iterations when tiled. */
    static PlaneReport describe(List<Result> tiles, double sigma, Map<String, Object> spec, TileGrid grid, PsnrSummary psnr) {
        Map<String, Object> operator = spec;
        List<Integer> perTile = null;
        if (tiles.size() > 1) {
            perTile = new ArrayList<>();
            for (Result r : tiles) perTile.add(r.iterations());
            operator = new LinkedHashMap<>();
            operator.put("tiling", grid.toString());
            operator.put("lastTile", spec);
        }
        return new PlaneReport(SolveStats.ofTiles(tiles), perTile, sigma, operator, psnr);
    }
}
