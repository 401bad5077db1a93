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
                        Noise frameNoise = frameNoise(noise, (long) i * kFrames + f);
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
     * K views of a specimen that moves between them: view k sees the scene moved by {@code motions.get(k)} (a map of
     * pixel coordinates, x_k(p) = x(M_k p), resampled bicubically from the mirror-padded scene so the moved field
     * holds what lay beside it, not copies of its edge), blurred by PSF slice k, with the noise of
     * {@link #deblur} (same seeds: identity motions give the same noise as aligned views). A registration of view k
     * to view 1 should find M_k⁻¹.
     */
    public static Blurred deblurMoving(ImageData gt, Psf psf, Noise noise, List<io.equilibria.image.registration.Transform2d> motions,
                                       Boundary boundary, Device device) {
        if (gt.size() != 1) throw new InputException("multi-frame simulation needs a single-plane ground truth");
        if (motions.size() != psf.size()) throw new IllegalArgumentException(motions.size() + " motions for " + psf.size() + " views");
        Plane p = gt.plane(0);
        double peak = peak(p, "ground truth");
        float[] n = new float[p.data().length];
        for (int k = 0; k < n.length; k++) n[k] = (float) (p.data()[k] / peak);
        Plane scene = new Plane(p.width(), p.height(), n);
        Map<String, Object> spec = new LinkedHashMap<>();
        List<Plane> out = new ArrayList<>();
        int kFrames = psf.size();
        try (NDManager manager = Compute.manager(device)) {
            for (int f = 0; f < kFrames; f++) {
                Plane moved = moved(scene, motions.get(f));
                try (FftConvolution a = FftConvolution.single(manager, Psf.of(psf.planes().get(f), psf.description()), p.width(), p.height(), boundary);
                     NDManager sub = manager.newSubManager()) {
                    Plane clean = Tensors.toPlane(a.apply(Tensors.of(sub, a.extendToDomain(moved))));
                    Noise frameNoise = frameNoise(noise, f);
                    float[] noisy = frameNoise.apply(clean.data());
                    for (int k = 0; k < noisy.length; k++) noisy[k] = (float) (noisy[k] * peak);
                    out.add(new Plane(p.width(), p.height(), noisy));
                    spec.put("operator", a.spec());
                }
            }
        }
        List<Map<String, Object>> ms = new ArrayList<>();
        for (var m : motions) ms.add(Map.of("matrix", List.of(m.a00(), m.a01(), m.tx(), m.a10(), m.a11(), m.ty())));
        spec.put("intensityScale", peak);
        spec.put("simulation", "deblur, moving specimen");
        spec.put("sceneMotions", ms);
        spec.put("psf", psf.description());
        spec.put("noise", noise.spec());
        spec.put("device", Compute.describe(device));
        return new Blurred(new ImageData(out, gt.calibration(), 32), spec);
    }

    /** The noise of observation {@code index} (plane × frames + frame): its own seed, so observations differ. */
    private static Noise frameNoise(Noise noise, long index) {
        return new Noise(noise.sigma(), noise.photons(), noise.seed() + 1000003L * index);
    }

    /** x(M p) on the scene's grid, from the scene mirrored far enough around it that every M p lands inside. */
    static Plane moved(Plane scene, io.equilibria.image.registration.Transform2d m) {
        int w = scene.width(), h = scene.height();
        double reach = 0;
        for (double[] c : new double[][] {{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}}) {
            double[] q = m.apply(c[0], c[1]);
            reach = Math.max(reach, Math.max(Math.max(-q[0], q[0] - (w - 1)), Math.max(-q[1], q[1] - (h - 1))));
        }
        int pad = (int) Math.ceil(Math.max(0, reach)) + 4; // + the bicubic kernel's reach
        if (pad >= Math.min(w, h)) throw new IllegalArgumentException("the motion moves the scene by more than its size");
        int pw = w + 2 * pad, ph = h + 2 * pad;
        float[] padded = new float[pw * ph];
        for (int y = 0; y < ph; y++) {
            int sy = mirror(y - pad, h);
            for (int x = 0; x < pw; x++) padded[y * pw + x] = scene.data()[sy * w + mirror(x - pad, w)];
        }
        // on padded coordinates p' = p + pad: M' = shift(pad) ∘ M ∘ shift(−pad)
        var shifted = new io.equilibria.image.registration.Transform2d(m.a00(), m.a01(), m.tx() + pad - m.a00() * pad - m.a01() * pad,
                m.a10(), m.a11(), m.ty() + pad - m.a10() * pad - m.a11() * pad, m.motion(), m.confidence());
        Plane big = io.equilibria.image.registration.FrameRegistration.align(new Plane(pw, ph, padded), shifted);
        float[] d = new float[w * h];
        for (int y = 0; y < h; y++) System.arraycopy(big.data(), (y + pad) * pw + pad, d, y * w, w);
        return new Plane(w, h, d);
    }

    private static int mirror(int i, int n) {
        while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
        return i;
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
