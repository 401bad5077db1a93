package io.equilibria.reconstruct.methods;

import io.equilibria.errors.Setting;

import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.Reconstructor;
import io.equilibria.solvers.IterationListener;

import io.equilibria.reconstruct.methods.MethodConfig;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.compute.Tensors;
import io.equilibria.image.ImageData;
import io.equilibria.image.Normalization;
import io.equilibria.image.Plane;
import io.equilibria.image.NoiseEstimate;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.LinearOperator;
import io.equilibria.physics.Psf;
import io.equilibria.reconstruct.tiling.MemoryModel;
import io.equilibria.reconstruct.tiling.TileGrid;

import io.equilibria.reconstruct.report.PlaneReport;
import io.equilibria.reconstruct.report.PsnrSummary;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.reconstruct.report.ReconstructionReport;
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
     * the stack is one 3D volume blurred by a 3D PSF ({@link VolumeDeconvolution}).
     */
    public record Options(Boundary boundary, String normalization, boolean multiFrame, double noiseSigma,
                          ImageData reference, WarmStart warmStart, long maxMemoryBytes, int tileCore, boolean volume) {
        public Options(Boundary boundary, String normalization, boolean multiFrame, double noiseSigma, ImageData reference) {
            this(boundary, normalization, multiFrame, noiseSigma, reference, WarmStart.ON, 0, 0, false);
        }

        public static Options defaults() {
            return new Options(Boundary.EXTENDED, "percentile", false, Double.NaN, null);
        }

        public Options withWarmStart(WarmStart w) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, w, maxMemoryBytes, tileCore, volume);
        }

        public Options withMaxMemory(long bytes) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, bytes, tileCore, volume);
        }

        /** A ground truth for the PSNR after every iteration (input units), or null. */
        public Options withReference(ImageData ref) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, ref, warmStart, maxMemoryBytes, tileCore, volume);
        }

        /** Tiles of at most {@code core} pixels a side whatever the budget (0: from the budget). */
        public Options withTileCore(int core) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, maxMemoryBytes, core, volume);
        }

        /** The stack as one volume with a 3D PSF (true), or as planes (false). */
        public Options withVolume(boolean v) {
            return new Options(boundary, normalization, multiFrame, noiseSigma, reference, warmStart, maxMemoryBytes, tileCore, v);
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
        long t0 = System.nanoTime();
        float[][] all = new float[input.size()][];
        for (int i = 0; i < input.size(); i++) all[i] = input.plane(i).data();
        Normalization norm = Normalization.fit(options.normalization(), input.bitDepth(), all);
        // a learned prior works at the scale it was trained at, whatever the data's units or the chosen normalisation
        if (method.learned()) norm = norm.toUnitPercentile(all);
        if (options.multiFrame() && psf.size() != input.size()) {
            throw new io.equilibria.errors.InputException(Setting.MULTI_FRAME + ": the image has " + input.size()
                    + " frame(s) but the PSF has " + psf.size() + " slice(s); they must match");
        }
        int w = input.width(), h = input.height();
        List<List<Plane>> groups = new ArrayList<>(); // what one solve sees: one plane, or all frames
        if (options.multiFrame()) groups.add(input.planes());
        else for (Plane p : input.planes()) groups.add(List.of(p));
        int frames = groups.get(0).size();
        Psf operatorPsf = options.multiFrame() ? psf : Psf.of(psf.single(), psf.description());
        int halo = halo(operatorPsf, method, device);
        TileGrid grid = options.tileCore() > 0 ? TileGrid.of(w, h, options.tileCore(), halo)
                : MemoryModel.plan(method.method(), w, h, frames, operatorPsf.width(), operatorPsf.height(), halo, options.budget());
        if (grid.size() > 1 && options.reference() != null) {
            throw new io.equilibria.errors.InputException("a per-iteration PSNR trace against " + Setting.REFERENCE + " needs the whole image in memory, "
                    + "and this one is solved in " + grid.size() + " tiles; raise " + Setting.MEMORY_BUDGET + " or score the result afterwards");
        }
        List<Plane> out = new ArrayList<>();
        List<PlaneReport> planes = new ArrayList<>();
        float[][] previous = new float[grid.size()][]; // each tile's last fixed point, in the solver's domain
        WarmStartLedger ledger = new WarmStartLedger(options.warmStart());
        boolean cancelled = false;
        try (NDManager manager = Compute.manager(device); Operators ops = new Operators(manager, operatorPsf, options)) {
            for (int g = 0; g < groups.size() && !cancelled; g++) {
                List<Plane> normalized = new ArrayList<>();
                for (Plane p : groups.get(g)) normalized.add(norm.forward(p));
                // learned methods with an estimated noise level: one Poisson-Gaussian fit for both the effective sigma
                // and the strength search's variance model
                double[] fit = method.learned() && Double.isNaN(options.noiseSigma()) ? NoiseEstimate.poissonGaussian(normalized.get(0)) : null;
                double sigma = fit != null ? io.equilibria.priors.NoiseLevel.effective(normalized.get(0), fit)
                        : noiseSigma(options, norm, normalized.get(0), method);
                Reconstructor rec = reconstructors.apply(sigma);
                if (fit != null && rec instanceof io.equilibria.reconstruct.methods.LearnedReconstruction d) d.withNoiseVariance(fit[0], fit[1]);
                boolean warm = rec.warmStartable() && options.warmStart() != WarmStart.OFF && groups.size() > 1;
                float[] blended = grid.size() > 1 ? new float[w * h] : null;
                Plane whole = null;
                List<Result> tiles = new ArrayList<>();
                PsnrSummary psnr = null;
                for (TileGrid.Tile t : grid.tiles()) {
                    LinearOperator a = ops.get(t.width(), t.height());
                    try (NDManager sub = manager.newSubManager()) {
                        List<Plane> crops = new ArrayList<>();
                        for (Plane p : normalized) crops.add(grid.size() > 1 ? grid.crop(p, t) : p);
                        NDArray y = options.multiFrame() ? Tensors.stack(sub, crops) : Tensors.of(sub, crops.get(0));
                        PsnrTrace trace = PsnrTrace.of(options.reference(), options.multiFrame() ? 0 : g, norm, a, sub);
                        NDArray start = warm && previous[t.index()] != null
                                ? Tensors.owned(sub.create(previous[t.index()], a.domainShape())).toType(y.getDataType(), false) : null;
                        IterationListener l = trimming(trace.wrap(listener.forPlane(g * grid.size() + t.index(), groups.size() * grid.size())),
                                t.pixels() * frames);
                        Result r = rec.reconstruct(a, y, l, start);
                        Plane result = Tensors.toPlane(a.toImage(r.x()));
                        if (start != null && options.warmStart() == WarmStart.VERIFY) {
                            Result cold = rec.reconstruct(a, y, IterationListener.NONE);
                            ledger.compare(r, cold, a);
                            cold.x().close();
                        } else {
                            ledger.record(r, start != null);
                        }
                        if (warm) previous[t.index()] = r.x().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                        if (blended != null) grid.accumulate(t, result, blended);
                        else whole = result;
                        psnr = trace.summary();
                        r.x().close();
                        tiles.add(r);
                        if (grid.size() > 1) io.equilibria.compute.NativeMemory.trim();
                        if (r.cancelled()) {
                            cancelled = true;
                            break;
                        }
                    }
                }
                Plane solved = blended != null ? new Plane(w, h, blended) : whole;
                out.add(norm.inverse(solved));
                planes.add(describe(tiles, sigma, ops.last(), grid, psnr));
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            if (io.equilibria.errors.MemoryException.isAllocationFailure(e) && !(e instanceof io.equilibria.errors.MemoryException)) {
                throw new io.equilibria.errors.MemoryException("ran out of memory solving " + grid + " of a " + w + "x" + h
                        + " image with " + method.method() + " (budget " + MemoryModel.mib(options.budget()) + "); rerun with a lower " + Setting.MEMORY_BUDGET + ", e.g. "
                        + MemoryModel.mib(options.budget() / 2).replace(" MiB", "m") + ", so the tiles get smaller", e);
            }
            throw e;
        }
        TileGrid.Tile big = grid.largest();
        ReconstructionReport.DeblurSetup setup = new ReconstructionReport.DeblurSetup(psf.description(), options.boundary().toString(),
                options.multiFrame(), norm.describe(), grid.size(), grid.toString(), Math.round(options.budget() / 1048576.0),
                Math.round(MemoryModel.estimate(method.method(), w, h, frames, big.width(), big.height(),
                        operatorPsf.width(), operatorPsf.height()) / 1048576.0), ledger.used() ? ledger.summary() : null);
        ReconstructionReport report = new ReconstructionReport(ReconstructionReport.SCHEMA_VERSION, method.method(), Compute.describe(device),
                cancelled ? Boolean.TRUE : null, setup, null, planes, (System.nanoTime() - t0) / 1e9);
        ImageData result = input.withPlanes(out);
        result.info().clear();
        result.info().putAll(report.imageInfo());
        return new Reconstruction(result, report);
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

    /** The convolution operator of the current tile size; rebuilt when the size changes, so at most one is held. */
    private static final class Operators implements AutoCloseable {
        private final NDManager manager;
        private final Psf psf;
        private final Options options;
        private FftConvolution current;
        private int w = -1, h = -1;

        Operators(NDManager manager, Psf psf, Options options) {
            this.manager = manager;
            this.psf = psf;
            this.options = options;
        }

        FftConvolution get(int width, int height) {
            if (current != null && width == w && height == h) return current;
            close();
            current = options.multiFrame() ? FftConvolution.multiFrame(manager, psf, width, height, options.boundary())
                    : FftConvolution.single(manager, psf, width, height, options.boundary());
            w = width;
            h = height;
            return current;
        }

        FftConvolution last() { return current; }

        @Override
        public void close() {
            if (current != null) current.close();
            current = null;
        }
    }

    static double noiseSigma(Options options, Normalization norm, Plane normalizedPlane, MethodConfig method) {
        if (!Double.isNaN(options.noiseSigma())) return norm.forwardSigma(options.noiseSigma());
        // learned models take the Poisson-Gaussian "effective" sigma they were trained with; the classical defaults
        // were tuned with the plain MAD estimate
        return method.learned() ? io.equilibria.priors.NoiseLevel.effective(normalizedPlane) : NoiseEstimate.sigma(normalizedPlane);
    }

    /** A plane's report from its tiles' results (see {@link SolveStats#ofTiles}), with the per-tile iterations when tiled. */
    static PlaneReport describe(List<Result> tiles, double sigma, LinearOperator a, TileGrid grid, PsnrSummary psnr) {
        Map<String, Object> operator = a.spec();
        List<Integer> perTile = null;
        if (tiles.size() > 1) {
            perTile = new ArrayList<>();
            for (Result r : tiles) perTile.add(r.iterations());
            operator = new LinkedHashMap<>();
            operator.put("tiling", grid.toString());
            operator.put("lastTile", a.spec());
        }
        return new PlaneReport(SolveStats.ofTiles(tiles), perTile, sigma, operator, psnr);
    }
}
