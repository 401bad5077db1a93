package io.equilibria.reconstruct.methods;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.compute.Tensors;
import io.equilibria.errors.InputException;
import io.equilibria.errors.MemoryException;
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
        if (input.timePoints() == 1) return runVolume(input, psf, method, options, device, listener, reconstructors);
        // a z-stack over time: one volume per time point, each normalised and solved on its own, one report each
        long t0 = System.nanoTime();
        ImageData reference = options.reference();
        if (reference != null && reference.size() != input.size()) {
            throw new InputException("reference has " + reference.size() + " planes but the hyperstack has " + input.size()
                    + " (" + input.slicesPerTimePoint() + " slices x " + input.timePoints() + " time points)");
        }
        List<Plane> planes = new ArrayList<>();
        List<PlaneReport> reports = new ArrayList<>();
        Reconstruction last = null;
        int tp = input.timePoints();
        for (int t = 0; t < tp; t++) {
            int time = t;
            Deconvolution.Options o = reference == null ? options : options.withReference(reference.withTimePoints(tp).timePoint(t));
            last = runVolume(input.timePoint(t), psf, method, o, device, (k, n) -> listener.forPlane(time * n + k, tp * n), reconstructors);
            planes.addAll(last.image().planes());
            reports.addAll(last.report().planes());
            if (last.report().wasCancelled()) break;
        }
        ReconstructionReport r = last.report();
        ReconstructionReport report = new ReconstructionReport(r.schemaVersion(), r.method(), r.device(), r.cancelled(), r.deblur(),
                null, reports, (System.nanoTime() - t0) / 1e9);
        ImageData result = planes.size() == input.size() ? input.withPlanes(planes) : new ImageData(planes, input.calibration(), 32);
        result.info().clear();
        result.info().putAll(report.imageInfo());
        return new Reconstruction(result, report);
    }

    private static Reconstruction runVolume(ImageData input, Psf psf, MethodConfig method, Deconvolution.Options options, Device device,
                                            Deconvolution.PlaneListener listener, DoubleFunction<Reconstructor> reconstructors) {
        long t0 = System.nanoTime();
        if (options.multiFrame()) {
            throw new InputException(Setting.MULTI_FRAME + " and " + Setting.VOLUME + " exclude each other: a stack is either K views "
                    + "of one plane or the planes of one volume");
        }
        io.equilibria.physics.PsfResampler.Result matched = io.equilibria.physics.PsfResampler.toVoxel(psf, input.calibration());
        Volume kernel = matched.psf().volume();
        int w = input.width(), h = input.height(), d = input.size();
        if (d < 2) throw new InputException(Setting.VOLUME + " needs a z-stack; the image has one plane");
        float[][] all = new float[d][];
        for (int i = 0; i < d; i++) all[i] = input.plane(i).data();
        Normalization norm = Normalization.fit(options.normalization(), input.bitDepth(), true, all);
        if (method.learned()) norm = norm.toUnitPercentile(all);
        List<Plane> normalized = new ArrayList<>(d);
        for (Plane p : input.planes()) normalized.add(norm.forward(p));
        boolean estimated = Double.isNaN(options.noiseSigma());
        double[] levels = estimated ? planeLevels(normalized, method) : null;
        double sigma = estimated ? volumeLevel(levels, method) : norm.forwardSigma(options.noiseSigma());
        Reconstructor rec = reconstructors.apply(sigma);
        if (estimated && rec instanceof LearnedReconstruction learned) {
            // the strength search's variance model a·y + b, from the plane whose noise level is the volume's
            double[] fit = NoiseEstimate.poissonGaussian(normalized.get(medianPlane(levels)));
            learned.withNoiseVariance(fit[0], fit[1]);
        }
        int halo = Deconvolution.halo(kernel.width(), kernel.height(), method, device);
        TileGrid grid = options.tileCore() > 0 ? TileGrid.of(w, h, options.tileCore(), halo)
                : MemoryModel.planVolume(method.method(), w, h, d, kernel.width(), kernel.height(), kernel.depth(), halo, options.budget());
        if (grid.size() > 1 && options.reference() != null) {
            throw new InputException("a per-iteration PSNR trace against " + Setting.REFERENCE + " needs the whole volume in memory, "
                    + "and this one is solved in " + grid.size() + " tiles; raise " + Setting.MEMORY_BUDGET + " or score the result afterwards");
        }
        float[][] blended = grid.size() > 1 ? new float[d][w * h] : null;
        List<Plane> solved = null;
        List<Result> tiles = new ArrayList<>();
        PsnrSummary psnr = null;
        boolean cancelled = false;
        VolumeConvolution a = null;
        try (NDManager manager = Compute.manager(device)) {
            for (TileGrid.Tile t : grid.tiles()) {
                if (a == null || a.rangeShape().get(2) != t.width() || a.rangeShape().get(1) != t.height()) {
                    if (a != null) a.close();
                    a = VolumeConvolution.create(manager, kernel, psf.description(), t.width(), t.height(), d, options.boundary());
                }
                try (NDManager sub = manager.newSubManager()) {
                    List<Plane> crops = new ArrayList<>(d);
                    for (Plane p : normalized) crops.add(grid.size() > 1 ? grid.crop(p, t) : p);
                    NDArray y = Tensors.stack(sub, crops);
                    PsnrTrace trace = PsnrTrace.ofVolume(options.reference(), norm, a, sub);
                    // no trimming between iterations: they reuse their pages (see NativeMemory.keepLargeBlocks); tiles trim
                    IterationListener l = trace.wrap(listener.forPlane(t.index(), grid.size()));
                    Result r = rec.reconstruct(a, y, l);
                    float[] voxels = a.toImage(r.x()).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                    Volume result = new Volume(t.width(), t.height(), d, voxels);
                    if (blended != null) {
                        for (int z = 0; z < d; z++) grid.accumulate(t, result.plane(z), blended[z]);
                    } else {
                        solved = result.planes();
                    }
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
            List<Plane> out = new ArrayList<>(d);
            for (int z = 0; z < d; z++) out.add(norm.inverse(blended != null ? new Plane(w, h, blended[z]) : solved.get(z)));
            PlaneReport plane = Deconvolution.describe(tiles, sigma, a, grid, psnr);
            if (a != null) a.close();
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
            ImageData result = input.withPlanes(out);
            result.info().clear();
            result.info().putAll(report.imageInfo());
            return new Reconstruction(result, report);
        } catch (RuntimeException | OutOfMemoryError e) {
            if (MemoryException.isAllocationFailure(e) && !(e instanceof MemoryException)) {
                throw new MemoryException("ran out of memory solving " + grid + " of a " + w + "x" + h + "x" + d + " volume with "
                        + method.method() + " (budget " + MemoryModel.mib(options.budget()) + "); rerun with a lower "
                        + Setting.MEMORY_BUDGET + ", e.g. " + MemoryModel.mib(options.budget() / 2).replace(" MiB", "m")
                        + ", so the x/y tiles get smaller", e);
            }
            throw e;
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
