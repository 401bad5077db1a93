package io.equilibria.reconstruct.methods;

import io.equilibria.solvers.IterationListener;
import io.equilibria.reconstruct.Result;

import io.equilibria.reconstruct.methods.MethodConfig;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.compute.Tensors;
import io.equilibria.image.ImageData;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;
import io.equilibria.physics.BlockCompressedSensing;
import io.equilibria.physics.MeasurementFile;

import io.equilibria.reconstruct.report.PlaneReport;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.reconstruct.report.ReconstructionReport;
import io.equilibria.reconstruct.report.SolveStats;

import java.util.List;
import java.util.Map;

/** Reconstructs an image from a measurement file (the core call behind {@code reconstruct cs}). */
public final class CompressedSensingReconstruction {
    private CompressedSensingReconstruction() {}

    public static Reconstruction run(MeasurementFile.Contents meas, MethodConfig method, Device device,
                                            IterationListener listener) {
        return run(meas, method, device, listener, Double.NaN);
    }

    /**
     * @param noiseSigma the measurement noise σ in the measurements' units (NaN: from the file's spec; for a learned
     *                   method without either, estimated from a regularised least-squares reconstruction)
     */
    public static Reconstruction run(MeasurementFile.Contents meas, MethodConfig method, Device device,
                                            IterationListener listener, double noiseSigma) {
        long t0 = System.nanoTime();
        double scale = meas.spec().containsKey("intensityScale") ? meas.doubleValue("intensityScale") : 1;
        double sigma = meas.spec().containsKey("noise") ? noiseSigma(meas.spec().get("noise")) : 0;
        String sigmaSource = meas.spec().containsKey("noise") ? "measurement file" : "none (0)";
        if (!Double.isNaN(noiseSigma)) {
            sigma = noiseSigma;
            sigmaSource = "given";
        }
        Plane out;
        PlaneReport solve;
        try (NDManager manager = Compute.manager(device); BlockCompressedSensing a = meas.operator(manager)) {
            Plane m = meas.measurements();
            if (m.height() != a.rangeShape().get(0) || m.width() != a.rangeShape().get(1)) {
                throw new InputException("measurement data " + m.width() + "x" + m.height() + " do not match the "
                        + "operator in its spec (" + a.rangeShape().get(1) + "x" + a.rangeShape().get(0) + ")");
            }
            NDArray y = Tensors.of(manager, m);
            if (method.learned() && Double.isNaN(noiseSigma) && !meas.spec().containsKey("noise")) {
                Result init = io.equilibria.reconstruct.deq.DeqReconstructor.initialiser(0.01, true).reconstruct(a, y, IterationListener.NONE);
                sigma = io.equilibria.priors.NoiseLevel.estimate(Tensors.toPlane(a.toImage(init.x())));
                init.x().close();
                sigmaSource = "estimated (MAD of the fine-scale detail of a regularised least-squares reconstruction)";
            }
            Result r = method.create(sigma, true).reconstruct(a, y, listener);
            Plane x = Tensors.toPlane(a.toImage(r.x()));
            float[] d = x.data();
            for (int i = 0; i < d.length; i++) d[i] = (float) (d[i] * scale);
            out = x;
            solve = new PlaneReport(SolveStats.of(r), null, null, a.spec(), null);
        }
        ReconstructionReport report = new ReconstructionReport(ReconstructionReport.SCHEMA_VERSION, method.method(), Compute.describe(device),
                null, null, new ReconstructionReport.CsSetup(sigma, sigmaSource), List.of(solve), (System.nanoTime() - t0) / 1e9);
        ImageData img = new ImageData(List.of(out), meas.calibration(), 32);
        img.info().putAll(report.imageInfo());
        return new Reconstruction(img, report);
    }

    @SuppressWarnings("unchecked")
    private static double noiseSigma(Object noise) {
        if (noise instanceof Map) {
            Object s = ((Map<String, Object>) noise).get("sigma");
            if (s instanceof Number) return ((Number) s).doubleValue();
        }
        return 0;
    }
}
