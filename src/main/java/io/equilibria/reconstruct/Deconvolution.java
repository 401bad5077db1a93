package io.equilibria.reconstruct;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.compute.Tensors;
import io.equilibria.image.ImageData;
import io.equilibria.image.Normalization;
import io.equilibria.image.Plane;
import io.equilibria.metrics.NoiseEstimate;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.LinearOperator;
import io.equilibria.physics.Psf;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deblurs an image or stack — the core call behind the CLI and the ImageJ plugin. A stack is a series of
 * independent planes unless {@code multiFrame}, in which case its K planes are K observations of one scene, one PSF
 * slice each. Intensities are normalised for the solver and mapped back exactly, so results are in input units.
 */
public final class Deconvolution {
    /** Options beyond the method: boundary, normalisation spec, multi-frame, known noise sigma (input units). */
    public record Options(Boundary boundary, String normalization, boolean multiFrame, double noiseSigma,
                          ImageData reference) {
        public static Options defaults() {
            return new Options(Boundary.EXTENDED, "percentile", false, Double.NaN, null);
        }
    }

    /** Per-plane progress: plane index, plane count, and the solver's listener for that plane. */
    public interface PlaneListener {
        IterationListener forPlane(int plane, int planes);

        PlaneListener NONE = (p, n) -> IterationListener.NONE;
    }

    public record Outcome(ImageData image, Map<String, Object> report) {}

    private Deconvolution() {}

    public static Outcome run(ImageData input, Psf psf, MethodConfig method, Options options, Device device,
                              PlaneListener listener) {
        long t0 = System.nanoTime();
        float[][] all = new float[input.size()][];
        for (int i = 0; i < input.size(); i++) all[i] = input.plane(i).data();
        Normalization norm = Normalization.fit(options.normalization(), all);
        List<Plane> out = new ArrayList<>();
        List<Map<String, Object>> planes = new ArrayList<>();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("method", method.method());
        report.put("device", Compute.describe(device));
        try (NDManager manager = Compute.manager(device)) {
            if (options.multiFrame()) {
                if (psf.size() != input.size()) {
                    throw new io.equilibria.image.InputException("--multi-frame: the image has " + input.size()
                            + " frame(s) but the PSF has " + psf.size() + " slice(s); they must match");
                }
                List<Plane> normalized = new ArrayList<>();
                for (Plane p : input.planes()) normalized.add(norm.forward(p));
                double sigma = noiseSigma(options, norm, normalized.get(0), method);
                try (FftConvolution a = FftConvolution.multiFrame(manager, psf, input.width(), input.height(), options.boundary())) {
                    NDArray y = Tensors.stack(manager, normalized);
                    PsnrTrace trace = PsnrTrace.of(options.reference(), 0, norm, a, manager);
                    Result r = method.create(sigma, false).reconstruct(a, y, trace.wrap(listener.forPlane(0, 1)));
                    out.add(norm.inverse(Tensors.toPlane(a.toImage(r.x()))));
                    planes.add(describe(r, sigma, a));
                    trace.report(planes.get(planes.size() - 1));
                    if (r.cancelled()) report.put("cancelled", true);
                }
            } else {
                Plane psfPlane = psf.single();
                try (FftConvolution a = FftConvolution.single(manager, Psf.of(psfPlane, psf.description()),
                        input.width(), input.height(), options.boundary())) {
                    for (int i = 0; i < input.size(); i++) {
                        Plane p = norm.forward(input.plane(i));
                        double sigma = noiseSigma(options, norm, p, method);
                        try (NDManager sub = manager.newSubManager()) {
                            NDArray y = Tensors.of(sub, p);
                            PsnrTrace trace = PsnrTrace.of(options.reference(), i, norm, a, sub);
                            Result r = method.create(sigma, false).reconstruct(a, y, trace.wrap(listener.forPlane(i, input.size())));
                            out.add(norm.inverse(Tensors.toPlane(a.toImage(r.x()))));
                            planes.add(describe(r, sigma, a));
                            trace.report(planes.get(planes.size() - 1));
                            r.x().close();
                            if (r.cancelled()) {
                                report.put("cancelled", true);
                                break;
                            }
                        }
                    }
                }
            }
        }
        report.put("psf", psf.description());
        report.put("boundary", options.boundary().toString());
        report.put("multiFrame", options.multiFrame());
        report.put("normalization", norm.toString());
        report.put("planes", planes);
        report.put("seconds", (System.nanoTime() - t0) / 1e9);
        ImageData result = input.withPlanes(out);
        result.info().clear();
        result.info().put("equilibria.method", method.method());
        result.info().put("equilibria.iterations", String.valueOf(planes.get(0).get("iterations")));
        result.info().put("equilibria.device", (String) report.get("device"));
        result.info().put("equilibria.psf", psf.description());
        result.info().put("equilibria.boundary", options.boundary().toString());
        result.info().put("equilibria.normalization", norm.toString());
        return new Outcome(result, report);
    }

    static double noiseSigma(Options options, Normalization norm, Plane normalizedPlane, MethodConfig method) {
        if (!Double.isNaN(options.noiseSigma())) return norm.forwardSigma(options.noiseSigma());
        // learned models take the Poisson-Gaussian "effective" sigma they were trained with; the classical defaults
        // were tuned with the plain MAD estimate
        return method.learned() ? io.equilibria.priors.NoiseLevel.effective(normalizedPlane) : NoiseEstimate.sigma(normalizedPlane);
    }

    static Map<String, Object> describe(Result r, double sigma, LinearOperator a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("iterations", r.iterations());
        m.put("relativeChange", r.relativeChange());
        m.put("seconds", r.seconds());
        m.put("cancelled", r.cancelled());
        m.put("noiseSigmaNormalized", sigma);
        m.put("parameters", r.parameters());
        m.put("operator", a.spec());
        return m;
    }
}
