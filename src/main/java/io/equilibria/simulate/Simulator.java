package io.equilibria.simulate;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.compute.Tensors;
import io.equilibria.image.ImageData;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;
import io.equilibria.physics.BlockCompressedSensing;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Planes;
import io.equilibria.physics.Psf;
import io.equilibria.physics.SensingMatrix;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Simulates measurements of a ground-truth image. Intensities are scaled by the ground truth's peak so that noise
 * parameters mean the same for any bit depth (sigma as a fraction of the peak, photons at the peak), and scaled
 * back afterwards so outputs are in the ground truth's units. Blur uses the extended-domain model on the mirror-
 * padded scene, so simulated data have no wrap-around (no periodic "inverse crime").
 */
public final class Simulator {
    private Simulator() {}

    public record Blurred(ImageData observations, Map<String, Object> spec) {}

    public record Measured(Plane measurements, Map<String, Object> spec) {}

    static double peak(Plane gt, String where) {
        double peak = gt.max();
        if (!(peak > 0)) throw new InputException(where + ": ground truth has no positive intensity (max " + peak + ")");
        return peak;
    }

    /** One blurred, noisy observation per PSF slice (K frames when the PSF has K slices and {@code frames}). */
    /** Scene boundary: extended (mirror-padded scene), zero (dark outside) or periodic. */
    public static Blurred deblur(ImageData gt, Psf psf, Noise noise, boolean frames, Boundary boundary, Device device) {
        if (frames && gt.size() != 1) throw new InputException("multi-frame simulation needs a single-plane ground truth");
        Map<String, Object> spec = new LinkedHashMap<>();
        List<Plane> out = new ArrayList<>();
        try (NDManager manager = Compute.manager(device)) {
            for (int i = 0; i < gt.size(); i++) {
                Plane p = gt.plane(i);
                double peak = peak(p, "ground truth");
                float[] n = new float[p.data().length];
                for (int k = 0; k < n.length; k++) n[k] = (float) (p.data()[k] / peak);
                Plane scene = new Plane(p.width(), p.height(), n);
                try (FftConvolution a = frames
                        ? FftConvolution.multiFrame(manager, psf, p.width(), p.height(), boundary)
                        : FftConvolution.single(manager, psf, p.width(), p.height(), boundary);
                     NDManager sub = manager.newSubManager()) {
                    NDArray x = Tensors.of(sub, a.extendToDomain(scene));
                    NDArray y = a.apply(x);
                    int kFrames = frames ? psf.size() : 1;
                    for (int f = 0; f < kFrames; f++) {
                        NDArray yf = frames ? y.get(f) : y;
                        Plane clean = Tensors.toPlane(yf);
                        Noise frameNoise = new Noise(noise.sigma(), noise.photons(), noise.seed() + 1000003L * (i * kFrames + f));
                        float[] noisy = frameNoise.apply(clean.data());
                        for (int k = 0; k < noisy.length; k++) noisy[k] = (float) (noisy[k] * peak);
                        out.add(new Plane(p.width(), p.height(), noisy));
                    }
                    spec.put("operator", a.spec());
                }
                spec.put("intensityScale", peak);
            }
        }
        spec.put("simulation", "deblur");
        spec.put("psf", psf.description());
        spec.put("noise", noise.spec());
        spec.put("device", Compute.describe(device));
        ImageData obs = new ImageData(out, gt.calibration(), 32);
        return new Blurred(obs, spec);
    }

    /**
     * One blurred, noisy z-stack of a volume ground truth (its planes, first to last) with a 3D PSF. The scene outside
     * the stack is the mirrored volume (extended), dark (zero) or periodic, in all three axes; noise is drawn for the
     * whole volume from one seed.
     */
    public static Blurred deblurVolume(ImageData gt, Psf psf, Noise noise, Boundary boundary, Device device) {
        if (gt.size() < 2) throw new InputException("a 3D simulation needs a z-stack ground truth; this one has one plane");
        io.equilibria.physics.PsfResampler.Result matched = io.equilibria.physics.PsfResampler.toVoxel(psf, gt.calibration());
        io.equilibria.image.Volume scene = io.equilibria.image.Volume.of(gt.planes());
        double peak = scene.max();
        if (!(peak > 0)) throw new InputException("ground truth: no positive intensity (max " + peak + ")");
        float[] n = new float[scene.data().length];
        for (int k = 0; k < n.length; k++) n[k] = (float) (scene.data()[k] / peak);
        Map<String, Object> spec = new LinkedHashMap<>();
        float[] noisy;
        try (NDManager manager = Compute.manager(device);
             io.equilibria.physics.VolumeConvolution a = io.equilibria.physics.VolumeConvolution.create(manager,
                     matched.psf().volume(), psf.description(), scene.width(), scene.height(), scene.depth(), boundary);
             NDManager sub = manager.newSubManager()) {
            NDArray x = a.initialGuess(sub.create(n, a.rangeShape()));
            float[] clean = a.apply(x).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            noisy = noise.apply(clean);
            spec.put("operator", a.spec());
        }
        for (int k = 0; k < noisy.length; k++) noisy[k] = (float) (noisy[k] * peak);
        spec.put("intensityScale", peak);
        spec.put("simulation", "deblur 3d");
        spec.put("psfVoxels", matched.description());
        spec.put("psf", psf.description());
        spec.put("noise", noise.spec());
        spec.put("device", Compute.describe(device));
        io.equilibria.image.Volume out = new io.equilibria.image.Volume(scene.width(), scene.height(), scene.depth(), noisy);
        return new Blurred(new ImageData(out.planes(), gt.calibration(), 32), spec);
    }

    /** Block CS measurements of a (mirror-padded) single-plane ground truth. */
    public static Measured cs(Plane gt, SensingMatrix.Kind kind, double ratio, int block, int groups, Noise noise,
                              long seed, Device device) {
        double peak = peak(gt, "ground truth");
        Map<String, Object> spec = new LinkedHashMap<>();
        Plane measured;
        try (NDManager manager = Compute.manager(device);
             BlockCompressedSensing a = BlockCompressedSensing.create(manager, kind, gt.height(), gt.width(), block,
                     ratio, groups, seed)) {
            int ph = (int) a.domainShape().get(0), pw = (int) a.domainShape().get(1);
            float[] n = new float[gt.data().length];
            for (int k = 0; k < n.length; k++) n[k] = (float) (gt.data()[k] / peak);
            Plane padded = Planes.reflectPad(new Plane(gt.width(), gt.height(), n), 0, ph - gt.height(), 0, pw - gt.width());
            NDArray y = a.apply(Tensors.of(manager, padded));
            Plane clean = Tensors.toPlane(y);
            measured = new Plane(clean.width(), clean.height(), noise.apply(clean.data()));
            spec.put("operator", a.spec());
        }
        spec.put("intensityScale", peak);
        spec.put("noise", noise.spec());
        spec.put("units", "measurements of the ground truth divided by intensityScale");
        return new Measured(measured, spec);
    }
}
