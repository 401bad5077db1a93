package io.equilibria.reconstruct.methods;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.compute.Tensors;
import io.equilibria.errors.InputException;
import io.equilibria.errors.Setting;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.NoiseEstimate;
import io.equilibria.image.Normalization;
import io.equilibria.image.Plane;
import io.equilibria.image.Volume;
import io.equilibria.physics.Psf;
import io.equilibria.physics.VolumeConvolution;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * Deblurs a z-stack as one volume with a 3D PSF: light from the planes above and below is what blurs a slice, so
 * the unknown is the whole volume ({@link VolumeConvolution}, extended past the stack in all three axes by default).
 * A volume that does not fit the memory budget is solved in x/y tiles that keep the whole depth, with halos from the
 * PSF's lateral extent, blended as in 2D. Intensities are normalised for the solver and mapped back exactly.
 */
final class VolumeDeconvolution {
    private VolumeDeconvolution() {}

    static Reconstruction run(ImageData input, Psf psf, MethodConfig method, Deconvolution.Options options, Device device,
                              Deconvolution.PlaneListener listener, DoubleFunction<Reconstructor> reconstructors) {
        // before this run's first tensor: huge pages and heap reuse for a volume's large arrays (see NativeMemory)
        io.equilibria.compute.NativeMemory.keepLargeBlocks();
        if (input.timePoints() == 1) return new OneVolume(input, psf, method, options, device, reconstructors).run(listener);
        // a z-stack over time: one volume per time point, each normalised and solved on its own, one report each
        long t0 = System.nanoTime();
        List<Reconstruction> done = new ArrayList<>();
        int tp = input.timePoints();
        for (int t = 0; t < tp; t++) {
            int time = t;
            Reconstruction r = timePoint(input, t, psf, method, options, device, reconstructors)
                    .run((k, n) -> listener.forPlane(time * n + k, tp * n));
            done.add(r);
            if (r.report().wasCancelled()) break;
        }
        return timeSeries(input, done, t0);
    }

    /** As {@link #run}, in parts: each time point's x/y tiles (part = time point × tiles + tile). */
    static TiledDeconvolution tiled(ImageData input, Psf psf, MethodConfig method, Deconvolution.Options options, Device device,
                                    DoubleFunction<Reconstructor> reconstructors) {
        io.equilibria.compute.NativeMemory.keepLargeBlocks();
        if (input.timePoints() == 1) return new OneVolume(input, psf, method, options, device, reconstructors);
        int tp = input.timePoints();
        List<OneVolume> volumes = new ArrayList<>(tp);
        for (int t = 0; t < tp; t++) volumes.add(timePoint(input, t, psf, method, options, device, reconstructors));
        long t0 = System.nanoTime();
        // the time points share the size, so the grid
        return TiledDeconvolution.sequence(volumes, volumes.get(0).grid() + " per time point", done -> timeSeries(input, done, t0));
    }

    /** Time point {@code t} of a hyperstack, planned as one volume (its slice of the reference too). */
    private static OneVolume timePoint(ImageData input, int t, Psf psf, MethodConfig method, Deconvolution.Options options, Device device,
                                       DoubleFunction<Reconstructor> reconstructors) {
        ImageData reference = options.reference();
        if (reference != null && reference.size() != input.size()) {
            throw new InputException("reference has " + reference.size() + " planes but the hyperstack has " + input.size()
                    + " (" + input.slicesPerTimePoint() + " slices x " + input.timePoints() + " time points)");
        }
        Deconvolution.Options o = reference == null ? options : options.withReference(reference.withTimePoints(input.timePoints()).timePoint(t));
        return new OneVolume(input.timePoint(t), psf, method, o, device, reconstructors);
    }

    /** The time points' reconstructions as one hyperstack with one report (a report per time point's volume). */
    private static Reconstruction timeSeries(ImageData input, List<Reconstruction> done, long t0) {
        List<Plane> planes = new ArrayList<>();
        List<PlaneReport> reports = new ArrayList<>();
        for (Reconstruction r : done) {
            planes.addAll(r.image().planes());
            reports.addAll(r.report().planes());
        }
        ReconstructionReport r = done.get(done.size() - 1).report();
        ReconstructionReport report = new ReconstructionReport(r.schemaVersion(), r.method(), r.device(), r.cancelled(), r.deblur(),
                null, reports, (System.nanoTime() - t0) / 1e9);
        return Reconstruction.described(planes.size() == input.size() ? input.withPlanes(planes) : new ImageData(planes, input.calibration(), 32),
                report);
    }

    /**
     * One volume planned once (normalisation, noise level, PSF at the voxel size, x/y tile grid), solved tile by tile
     * in grid order ({@link #run}) or one tile per part ({@link #solve}) by the same {@link #solveTile}.
     */
    private static final class OneVolume implements TiledDeconvolution {
        private final ImageData input;
        private final Psf psf;
        private final MethodConfig method;
        private final Deconvolution.Options options;
        private final Device device;
        private final io.equilibria.physics.PsfResampler.Result matched;
        private final Volume kernel;
        private final int w, h, d;
        private final Normalization norm;
        private final List<Plane> normalized;
        private final double sigma;
        private final Reconstructor rec;
        private final TileGrid grid;
        private final long t0 = System.nanoTime();

        OneVolume(ImageData input, Psf psf, MethodConfig method, Deconvolution.Options options, Device device,
                  DoubleFunction<Reconstructor> reconstructors) {
            this.input = input;
            this.psf = psf;
            this.method = method;
            this.options = options;
            this.device = device;
            if (options.multiFrame()) {
                throw new InputException(Setting.MULTI_FRAME + " and " + Setting.VOLUME + " exclude each other: a stack is either K views "
                        + "of one plane or the planes of one volume");
            }
            matched = io.equilibria.physics.PsfResampler.toVoxel(psf, input.calibration());
            kernel = matched.psf().volume();
            w = input.width();
            h = input.height();
            d = input.size();
            if (d < 2) throw new InputException(Setting.VOLUME + " needs a z-stack; the image has one plane");
            float[][] all = new float[d][];
            for (int i = 0; i < d; i++) all[i] = input.plane(i).data();
            Normalization n = Normalization.fit(options.normalization(), input.bitDepth(), true, all);
            norm = method.learned() ? n.toUnitPercentile(all) : n;
            normalized = new ArrayList<>(d);
            for (Plane p : input.planes()) normalized.add(norm.forward(p));
            boolean estimated = Double.isNaN(options.noiseSigma());
            double[] levels = estimated ? planeLevels(normalized, method) : null;
            sigma = estimated ? volumeLevel(levels, method) : norm.forwardSigma(options.noiseSigma());
            rec = reconstructors.apply(sigma);
            if (estimated && rec instanceof LearnedReconstruction learned) {
                // the strength search's variance model a·y + b, from the plane whose noise level is the volume's
                double[] fit = NoiseEstimate.poissonGaussian(normalized.get(medianPlane(levels)));
                learned.withNoiseVariance(fit[0], fit[1]);
            }
            int halo = Deconvolution.halo(kernel.width(), kernel.height(), method, device);
            grid = options.tileCore() > 0 ? TileGrid.of(w, h, options.tileCore(), halo)
                    : MemoryModel.planVolume(method.method(), w, h, d, kernel.width(), kernel.height(), kernel.depth(), halo, options.budget());
            if (grid.size() > 1 && options.reference() != null) {
                throw new InputException("a per-iteration PSNR trace against " + Setting.REFERENCE + " needs the whole volume in memory, "
                        + "and this one is solved in " + grid.size() + " tiles; raise " + Setting.MEMORY_BUDGET + " or score the result afterwards");
            }
        }

        @Override public int parts() { return grid.size(); }
        @Override public String grid() { return grid.toString(); }

        /** A solved tile: its volume (normalised), the solve (tensor closed), the PSNR trace, the operator's description. */
        private record Solve(Volume volume, Result result, PsnrSummary psnr, java.util.Map<String, Object> operator) {}

        private Solve solveTile(NDManager manager, TileGrid.Tile t, Deconvolution.PlaneListener listener) {
            try (VolumeConvolution a = VolumeConvolution.create(manager, kernel, psf.description(), t.width(), t.height(), d, options.boundary());
                 NDManager sub = manager.newSubManager()) {
                List<Plane> crops = new ArrayList<>(d);
                for (Plane p : normalized) crops.add(grid.size() > 1 ? grid.crop(p, t) : p);
                NDArray y = Tensors.stack(sub, crops);
                PsnrTrace trace = PsnrTrace.ofVolume(options.reference(), norm, a, sub);
                // no trimming between iterations: they reuse their pages (see NativeMemory.keepLargeBlocks); tiles trim
                IterationListener l = trace.wrap(listener.forPlane(t.index(), grid.size()));
                Result r = rec.reconstruct(a, y, l);
                float[] voxels = a.toImage(r.x()).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                r.x().close();
                if (grid.size() > 1) io.equilibria.compute.NativeMemory.trim();
                return new Solve(new Volume(t.width(), t.height(), d, voxels), r, trace.summary(), a.spec());
            }
        }

        /** Tile by tile in grid order; the listener may cancel. */
        Reconstruction run(Deconvolution.PlaneListener listener) {
            float[][] blended = grid.size() > 1 ? new float[d][w * h] : null;
            List<Plane> solved = null;
            List<Result> tiles = new ArrayList<>();
            PsnrSummary psnr = null;
            java.util.Map<String, Object> operator = null;
            boolean cancelled = false;
            try (NDManager manager = Compute.manager(device)) {
                for (TileGrid.Tile t : grid.tiles()) {
                    Solve s = solveTile(manager, t, listener);
                    if (blended != null) {
                        for (int z = 0; z < d; z++) grid.accumulate(t, s.volume().plane(z), blended[z]);
                    } else {
                        solved = s.volume().planes();
                    }
                    psnr = s.psnr();
                    operator = s.operator();
                    tiles.add(s.result());
                    if (s.result().cancelled()) {
                        cancelled = true;
                        break;
                    }
                }
            } catch (RuntimeException | OutOfMemoryError e) {
                throw outOfMemory(e);
            }
            List<Plane> out = new ArrayList<>(d);
            for (int z = 0; z < d; z++) out.add(norm.inverse(blended != null ? new Plane(w, h, blended[z]) : solved.get(z)));
            return finish(out, Deconvolution.describe(tiles, sigma, operator, grid, psnr), cancelled);
        }

        @Override
        public TilePart solve(int part, Deconvolution.PlaneListener listener) {
            if (part < 0 || part >= grid.size()) throw new IllegalArgumentException("part " + part + " of " + grid.size());
            TileGrid.Tile t = grid.tiles().get(part);
            try (NDManager manager = Compute.manager(device)) {
                Solve s = solveTile(manager, t, listener);
                return new TilePart(part, List.of(TilePart.Solved.of(s.result(), t.width(), t.height(), d, s.volume().data(), sigma,
                        s.operator())), new WarmStartLedger(options.warmStart()));
            } catch (RuntimeException | OutOfMemoryError e) {
                throw outOfMemory(e);
            }
        }

        @Override
        public Reconstruction assemble(List<TilePart> parts) {
            TilePart[] by = TiledDeconvolution.byIndex(parts, grid.size());
            float[][] blended = new float[d][];
            List<Result> tiles = new ArrayList<>();
            TilePart.Solved last = null;
            for (TileGrid.Tile t : grid.tiles()) {
                last = by[t.index()].solves().get(0);
                Volume v = new Volume(last.width(), last.height(), d, last.values());
                for (int z = 0; z < d; z++) {
                    if (grid.size() == 1) {
                        blended[z] = v.plane(z).data();
                    } else {
                        if (blended[z] == null) blended[z] = new float[w * h];
                        grid.accumulate(t, v.plane(z), blended[z]);
                    }
                }
                tiles.add(last.result());
            }
            List<Plane> out = new ArrayList<>(d);
            for (int z = 0; z < d; z++) out.add(norm.inverse(new Plane(w, h, blended[z])));
            return finish(out, Deconvolution.describe(tiles, sigma, last.operator(), grid, null), false);
        }

        private Reconstruction finish(List<Plane> out, PlaneReport plane, boolean cancelled) {
            TileGrid.Tile big = grid.largest();
            ReconstructionReport.VolumeSetup volume = new ReconstructionReport.VolumeSetup(w + "x" + h + "x" + d,
                    voxel(input.calibration()), kernel.width() + "x" + kernel.height() + "x" + kernel.depth(),
                    psf.voxel().isCalibrated() ? voxel(psf.voxel()) : null, matched.description());
            ReconstructionReport.DeblurSetup setup = new ReconstructionReport.DeblurSetup(psf.description(), options.boundary().toString(),
                    false, norm.describe(), grid.size(), grid.toString(), Math.round(options.budget() / 1048576.0),
                    Math.round(MemoryModel.estimateVolume(method.method(), w, h, d, big.width(), big.height(), kernel.width(),
                            kernel.height(), kernel.depth()) / 1048576.0), null, volume);
            ReconstructionReport report = new ReconstructionReport(ReconstructionReport.SCHEMA_VERSION, method.method(),
                    Compute.describe(device), cancelled ? Boolean.TRUE : null, setup, null, List.of(plane), (System.nanoTime() - t0) / 1e9);
            return Reconstruction.described(input.withPlanes(out), report);
        }

        private RuntimeException outOfMemory(Throwable e) {
            return Deconvolution.outOfMemory(e, grid, "a " + w + "x" + h + "x" + d + " volume", method, options, "x/y tiles");
        }
    }

    /** Each plane's noise level: the learned methods' effective level, or the classical MAD estimate. */
    private static double[] planeLevels(List<Plane> normalized, MethodConfig method) {
        double[] s = new double[normalized.size()];
        for (int z = 0; z < s.length; z++) {
            Plane p = normalized.get(z);
            s[z] = method.learned() ? io.equilibria.priors.NoiseLevel.effective(p) : NoiseEstimate.sigma(p);
        }
        return s;
    }

    /**
     * The volume's noise level from its planes' (planes far from focus are smooth, not noiseless): for learned methods
     * the median as 3D training takes it ({@link io.equilibria.priors.NoiseLevel#volume}), else the median plane's.
     */
    private static double volumeLevel(double[] levels, MethodConfig method) {
        return method.learned() ? io.equilibria.priors.NoiseLevel.median(levels) : levels[medianPlane(levels)];
    }

    /** The plane whose level is the median (the upper one of the middle two). */
    private static int medianPlane(double[] levels) {
        Integer[] order = new Integer[levels.length];
        for (int z = 0; z < order.length; z++) order[z] = z;
        Arrays.sort(order, (i, j) -> Double.compare(levels[i], levels[j]));
        return order[levels.length / 2];
    }

    static String voxel(Calibration c) {
        return String.format(Locale.ROOT, "%gx%gx%g %s", c.pixelWidth(), c.pixelHeight(), c.pixelDepth(), c.unit());
    }
}
