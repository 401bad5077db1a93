package io.equilibria.reconstruct.methods;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.equilibria.compute.Compute;
import io.equilibria.compute.NativeMemory;
import io.equilibria.compute.Tensors;
import io.equilibria.errors.InputException;
import io.equilibria.errors.Setting;
import io.equilibria.image.ImageData;
import io.equilibria.image.NoiseEstimate;
import io.equilibria.image.Normalization;
import io.equilibria.image.Plane;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Psf;
import io.equilibria.reconstruct.Reconstructor;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.report.PlaneReport;
import io.equilibria.reconstruct.report.PsnrSummary;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.reconstruct.report.ReconstructionReport;
import io.equilibria.reconstruct.tiling.MemoryModel;
import io.equilibria.reconstruct.tiling.TileGrid;
import io.equilibria.solvers.IterationListener;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * The 2D deconvolution of an image or stack, planned once: the whole image's normalisation, the solves (each plane,
 * or with {@code multiFrame} the one scene behind all frames), each solve's noise level, and the tile grid. It runs
 * plane by plane ({@link #run}, the sequential path) or tile by tile ({@link #solve}, parts for other processes); both
 * solve every (plane, tile) pair by the same {@link #solveTile} and blend the tiles in grid order, so the bytes agree.
 */
final class PlaneTiles implements TiledDeconvolution {
    private final ImageData input;
    private final Psf psf, operatorPsf;
    private final MethodConfig method;
    private final Deconvolution.Options options;
    private final Device device;
    private final DoubleFunction<Reconstructor> reconstructors;
    private final Normalization norm;
    private final List<List<Plane>> groups = new ArrayList<>(); // what one solve sees: one plane, or all frames
    private final int width, height, frames;
    private final TileGrid grid;
    private final long started = System.nanoTime();
    private final io.equilibria.reconstruct.report.RegistrationReport registration;

    PlaneTiles(ImageData input, Psf psf, MethodConfig method, Deconvolution.Options options, Device device,
               DoubleFunction<Reconstructor> reconstructors) {
        if (options.multiFrame() && options.registration() != null) {
            if (psf.size() != input.size()) {
                throw new InputException(Setting.MULTI_FRAME + ": the image has " + input.size() + " frame(s) but the PSF has "
                        + psf.size() + " slice(s); they must match");
            }
            ViewRegistration.Aligned aligned = ViewRegistration.align(input, psf, options.registration());
            input = aligned.frames();
            psf = aligned.psf();
            registration = aligned.report();
        } else {
            registration = null;
        }
        this.input = input;
        this.psf = psf;
        this.method = method;
        this.options = options;
        this.device = device;
        this.reconstructors = reconstructors;
        float[][] all = new float[input.size()][];
        for (int i = 0; i < input.size(); i++) all[i] = input.plane(i).data();
        Normalization n = Normalization.fit(options.normalization(), input.bitDepth(), all);
        // a learned prior works at the scale it was trained at, whatever the data's units or the chosen normalisation
        this.norm = method.learned() ? n.toUnitPercentile(all) : n;
        if (options.multiFrame() && psf.size() != input.size()) {
            throw new InputException(Setting.MULTI_FRAME + ": the image has " + input.size() + " frame(s) but the PSF has "
                    + psf.size() + " slice(s); they must match");
        }
        width = input.width();
        height = input.height();
        if (options.multiFrame()) groups.add(input.planes());
        else for (Plane p : input.planes()) groups.add(List.of(p));
        frames = groups.get(0).size();
        operatorPsf = options.multiFrame() ? psf : Psf.of(psf.single(), psf.description());
        int halo = Deconvolution.halo(operatorPsf, method, device);
        grid = options.tileCore() > 0 ? TileGrid.of(width, height, options.tileCore(), halo)
                : MemoryModel.plan(method.method(), width, height, frames, operatorPsf.width(), operatorPsf.height(), halo, options.budget());
        if (grid.size() > 1 && options.reference() != null) {
            throw new InputException("a per-iteration PSNR trace against " + Setting.REFERENCE + " needs the whole image in memory, "
                    + "and this one is solved in " + grid.size() + " tiles; raise " + Setting.MEMORY_BUDGET + " or score the result afterwards");
        }
    }

    @Override public int parts() { return grid.size(); }
    @Override public String grid() { return grid.toString(); }

    /** One solve's normalised planes, noise level and reconstructor. */
    private record Group(int index, List<Plane> normalized, double sigma, Reconstructor reconstructor, boolean warm,
                         io.equilibria.image.registration.Transform2d drift) {}

    /** A shift below this many pixels is not worth resampling a warm start for (still stacks stay exact). */
    static final double MIN_DRIFT_PX = 0.25;

    /**
     * The drift from plane {@code previous} to plane {@code next} (ECC translation from the phase-correlation shift), or
     * null when there is none to follow: below {@link #MIN_DRIFT_PX}, not found, or when the previous plane moved by it
     * does not correlate with the next well ({@link #MIN_DRIFT_CORRELATION}) and better than unmoved (planes that
     * changed rather than moved).
     */
    static io.equilibria.image.registration.Transform2d drift(Plane previous, Plane next) {
        io.equilibria.image.registration.Transform2d t;
        try {
            t = io.equilibria.image.registration.FrameRegistration.ecc(previous, next, io.equilibria.image.registration.Motion.TRANSLATION, 1);
        } catch (io.equilibria.image.registration.RegistrationException e) {
            return null;
        }
        if (Math.hypot(t.tx(), t.ty()) < MIN_DRIFT_PX) return null;
        Plane moved = io.equilibria.image.registration.FrameRegistration.align(previous,
                io.equilibria.image.registration.Transform2d.translation(-t.tx(), -t.ty()));
        int m = (int) Math.ceil(Math.max(Math.abs(t.tx()), Math.abs(t.ty()))) + 2;
        double followed = correlation(next, moved, m), still = correlation(next, previous, m);
        return followed >= MIN_DRIFT_CORRELATION && followed > still ? t : null;
    }

    /** The moved previous plane must correlate at least this well with the next (a changed scene does not). */
    static final double MIN_DRIFT_CORRELATION = 0.5;

    /** Pearson correlation of two planes away from a margin (resampling's smoothing cannot raise it, unlike a distance). */
    private static double correlation(Plane a, Plane b, int margin) {
        int w = a.width(), h = a.height();
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        long n = 0;
        for (int y = margin; y < h - margin; y++) {
            for (int x = margin; x < w - margin; x++) {
                double u = a.data()[y * w + x], v = b.data()[y * w + x];
                sa += u;
                sb += v;
                saa += u * u;
                sbb += v * v;
                sab += u * v;
                n++;
            }
        }
        if (n < 2) return 0;
        double cov = sab - sa * sb / n, va = saa - sa * sa / n, vb = sbb - sb * sb / n;
        return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : 0;
    }

    /** Solve {@code g}'s setup; {@code previous} is solve g − 1's (null for the first), whose plane the drift is measured from. */
    private Group group(int g, Group previous) {
        List<Plane> normalized = new ArrayList<>();
        for (Plane p : groups.get(g)) normalized.add(norm.forward(p));
        // learned methods with an estimated noise level: one Poisson-Gaussian fit for both the effective sigma and the
        // strength search's variance model
        double[] fit = method.learned() && Double.isNaN(options.noiseSigma()) ? NoiseEstimate.poissonGaussian(normalized.get(0)) : null;
        double sigma = fit != null ? io.equilibria.priors.NoiseLevel.effective(normalized.get(0), fit)
                : Deconvolution.noiseSigma(options, norm, normalized.get(0), method);
        Reconstructor rec = reconstructors.apply(sigma);
        if (fit != null && rec instanceof LearnedReconstruction d) d.withNoiseVariance(fit[0], fit[1]);
        boolean warm = rec.warmStartable() && options.warmStart() != Deconvolution.WarmStart.OFF && groups.size() > 1;
        io.equilibria.image.registration.Transform2d drift = null;
        if (warm && previous != null && options.followDrift() && !options.multiFrame()) drift = drift(previous.normalized().get(0), normalized.get(0));
        return new Group(g, normalized, sigma, rec, warm, drift);
    }

    /** A solved tile: the result on the tile (normalised), the solve (tensor closed), its PSNR trace. */
    private record Solve(Plane plane, Result result, PsnrSummary psnr) {}

    /**
     * Solves tile {@code t} of solve {@code gr}, warm-started from {@code previous[0]} (the previous solve's fixed point,
     * with {@code previous[1]} its data) when there is one, which it then replaces by this solve's.
     */
    private Solve solveTile(Operators ops, NDManager manager, Group gr, TileGrid.Tile t, float[][] previous, WarmStartLedger ledger,
                            Deconvolution.PlaneListener listener) {
        FftConvolution a = ops.get(t.width(), t.height());
        try (NDManager sub = manager.newSubManager()) {
            List<Plane> crops = new ArrayList<>();
            for (Plane p : gr.normalized()) crops.add(grid.size() > 1 ? grid.crop(p, t) : p);
            NDArray y = options.multiFrame() ? Tensors.stack(sub, crops) : Tensors.of(sub, crops.get(0));

            PsnrTrace trace = PsnrTrace.of(options.reference(), options.multiFrame() ? 0 : gr.index(), norm, a, sub);
            float[] from = previous[0], fromData = previous[1];
            if (gr.warm() && from != null && gr.drift() != null) {
                // this plane's p shows what the previous plane showed at p - t: start from the previous fixed point (and its
                // data) moved so
                double dx = gr.drift().tx(), dy = gr.drift().ty();
                int dh = (int) a.domainShape().get(0), dw = (int) a.domainShape().get(1);
                from = io.equilibria.image.registration.FrameRegistration.shift(new Plane(dw, dh, from), dx, dy).data();
                if (fromData != null) fromData = io.equilibria.image.registration.FrameRegistration.shift(new Plane(t.width(), t.height(), fromData), dx, dy).data();
                ledger.drift(Math.hypot(gr.drift().tx(), gr.drift().ty()));
            }
            NDArray start = gr.warm() && from != null
                    ? Tensors.owned(sub.create(from, a.domainShape())).toType(y.getDataType(), false) : null;
            NDArray startData = start != null && fromData != null && !options.multiFrame()
                    ? Tensors.owned(sub.create(fromData, a.rangeShape())).toType(y.getDataType(), false) : null;
            IterationListener l = Deconvolution.trimming(trace.wrap(listener.forPlane(gr.index() * grid.size() + t.index(),
                    groups.size() * grid.size())), t.pixels() * frames);
            Result r = gr.reconstructor().reconstruct(a, y, l, start, startData);
            Plane result = Tensors.toPlane(a.toImage(r.x()));
            if (start != null && options.warmStart() == Deconvolution.WarmStart.VERIFY) {
                Result cold = gr.reconstructor().reconstruct(a, y, IterationListener.NONE);
                ledger.compare(r, cold, a);
                cold.x().close();
            } else {
                ledger.record(r, start != null);
            }
            if (gr.warm()) {
                previous[0] = r.x().toType(DataType.FLOAT32, false).toFloatArray();
                previous[1] = crops.get(0).data();
            }
            r.x().close();
            if (grid.size() > 1) NativeMemory.trim();
            return new Solve(result, r, trace.summary());
        }
    }

    /** Plane by plane, each plane's tiles in grid order; the listener may cancel (the planes finished are kept). */
    Reconstruction run(Deconvolution.PlaneListener listener) {
        List<Plane> out = new ArrayList<>();
        List<PlaneReport> planes = new ArrayList<>();
        float[][][] previous = new float[grid.size()][2][]; // each tile's last fixed point (solver's domain) and its data
        WarmStartLedger ledger = new WarmStartLedger(options.warmStart());
        boolean cancelled = false;
        try (NDManager manager = Compute.manager(device); Operators ops = new Operators(manager)) {
            Group gr = null;
            for (int g = 0; g < groups.size() && !cancelled; g++) {
                gr = group(g, gr);
                float[] blended = grid.size() > 1 ? new float[width * height] : null;
                Plane whole = null;
                List<Result> tiles = new ArrayList<>();
                PsnrSummary psnr = null;
                for (TileGrid.Tile t : grid.tiles()) {
                    Solve s = solveTile(ops, manager, gr, t, previous[t.index()], ledger, listener);
                    if (blended != null) grid.accumulate(t, s.plane(), blended);
                    else whole = s.plane();
                    psnr = s.psnr();
                    tiles.add(s.result());
                    if (s.result().cancelled()) {
                        cancelled = true;
                        break;
                    }
                }
                out.add(norm.inverse(blended != null ? new Plane(width, height, blended) : whole));
                planes.add(Deconvolution.describe(tiles, gr.sigma(), ops.last().spec(), grid, psnr));
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            throw outOfMemory(e);
        }
        return finish(out, planes, ledger, cancelled);
    }

    /** Tile {@code part} of every plane, plane by plane, warm-started along the stack as {@link #run} does. */
    @Override
    public TilePart solve(int part, Deconvolution.PlaneListener listener) {
        if (part < 0 || part >= grid.size()) throw new IllegalArgumentException("part " + part + " of " + grid.size());
        TileGrid.Tile t = grid.tiles().get(part);
        float[][] previous = new float[2][];
        WarmStartLedger ledger = new WarmStartLedger(options.warmStart());
        List<TilePart.Solved> solves = new ArrayList<>();
        try (NDManager manager = Compute.manager(device); Operators ops = new Operators(manager)) {
            Group gr = null;
            for (int g = 0; g < groups.size(); g++) {
                gr = group(g, gr);
                Solve s = solveTile(ops, manager, gr, t, previous, ledger, listener);
                solves.add(TilePart.Solved.of(s.result(), t.width(), t.height(), 1, s.plane().data(), gr.sigma(), ops.last().spec()));
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            throw outOfMemory(e);
        }
        return new TilePart(part, solves, ledger);
    }

    @Override
    public Reconstruction assemble(List<TilePart> parts) {
        TilePart[] byTile = TiledDeconvolution.byIndex(parts, grid.size());
        List<Plane> out = new ArrayList<>();
        List<PlaneReport> planes = new ArrayList<>();
        WarmStartLedger ledger = new WarmStartLedger(options.warmStart());
        for (TilePart p : byTile) ledger.add(p.ledger());
        for (int g = 0; g < groups.size(); g++) {
            float[] blended = new float[width * height];
            List<Result> tiles = new ArrayList<>();
            TilePart.Solved last = null;
            for (TileGrid.Tile t : grid.tiles()) {
                last = byTile[t.index()].solves().get(g);
                Plane p = new Plane(last.width(), last.height(), last.values());
                if (grid.size() > 1) grid.accumulate(t, p, blended);
                else blended = p.data();
                tiles.add(last.result());
            }
            out.add(norm.inverse(new Plane(width, height, blended)));
            planes.add(Deconvolution.describe(tiles, last.noiseSigma(), last.operator(), grid, null));
        }
        return finish(out, planes, ledger, false);
    }

    private Reconstruction finish(List<Plane> out, List<PlaneReport> planes, WarmStartLedger ledger, boolean cancelled) {
        TileGrid.Tile big = grid.largest();
        ReconstructionReport.DeblurSetup setup = new ReconstructionReport.DeblurSetup(psf.description(), options.boundary().toString(),
                options.multiFrame(), norm.describe(), grid.size(), grid.toString(), Math.round(options.budget() / 1048576.0),
                Math.round(MemoryModel.estimate(method.method(), width, height, frames, big.width(), big.height(),
                        operatorPsf.width(), operatorPsf.height()) / 1048576.0), ledger.used() ? ledger.summary() : null, null, registration);
        ReconstructionReport report = new ReconstructionReport(ReconstructionReport.SCHEMA_VERSION, method.method(), Compute.describe(device),
                cancelled ? Boolean.TRUE : null, setup, null, planes, (System.nanoTime() - started) / 1e9);
        return Reconstruction.described(input.withPlanes(out), report);
    }

    private RuntimeException outOfMemory(Throwable e) {
        return Deconvolution.outOfMemory(e, grid, "a " + width + "x" + height + " image", method, options, "tiles");
    }

    /** The convolution operator of the current tile size; rebuilt when the size changes, so at most one is held. */
    private final class Operators implements AutoCloseable {
        private final NDManager manager;
        private FftConvolution current;
        private int w = -1, h = -1;

        Operators(NDManager manager) { this.manager = manager; }

        FftConvolution get(int tileWidth, int tileHeight) {
            if (current != null && tileWidth == w && tileHeight == h) return current;
            close();
            current = options.multiFrame() ? FftConvolution.multiFrame(manager, operatorPsf, tileWidth, tileHeight, options.boundary())
                    : FftConvolution.single(manager, operatorPsf, tileWidth, tileHeight, options.boundary());
            w = tileWidth;
            h = tileHeight;
            return current;
        }

        FftConvolution last() { return current; }

        @Override
        public void close() {
            if (current != null) current.close();
            current = null;
        }
    }
}
