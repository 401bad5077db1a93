package io.equilibria.train;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.image.Plane;
import io.equilibria.physics.BlockCompressedSensing;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.LinearOperator;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.SensingMatrix;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Random measurement problems for training DEQ reconstructions from clean patches, deterministic for a seed:
 * <ul>
 *   <li>deblur: a Gaussian PSF with σ uniform in [1, 3] px or an Airy PSF (NA 0.7–1.4, λ 450–650 nm, pixel size chosen
 *       so the first dark ring lies 1.5–4 px out), periodic boundary on the patch, Gaussian noise σ uniform in
 *       [σmin, σmax] and, half of the time, Poisson noise with 50–1000 photons at the peak on top;</li>
 *   <li>cs: block compressed sensing (32×32 blocks) with a Gaussian or Hadamard matrix, ratio uniform in [0.1, 0.5],
 *       from a pool of operators built once (building a matrix is the expensive part).</li>
 * </ul>
 * With {@code blocks} K &gt; 1 (ODER): deblurring problems are K views of the patch, each through its own PSF of
 * the kind drawn for the problem, stretched 2× along angle πk/K plus a common random rotation (as a multi-view
 * acquisition), all with the same noise; CS operators have their rows in K groups.
 */
public final class ProblemFactory implements AutoCloseable {
    public enum Task { DEBLUR, CS }

    private final Task task;
    private final NDManager manager;
    private final double sigmaMin, sigmaMax;
    private final List<LinearOperator> csPool = new ArrayList<>();
    private final int patch;
    private final int blocks;

    public ProblemFactory(Task task, NDManager manager, int patch, double sigmaMin, double sigmaMax, long seed) {
        this(task, manager, patch, sigmaMin, sigmaMax, seed, 1);
    }

    /** @param blocks measurement blocks per problem: frames (deblur) or CS row groups; 1 for the plain problems */
    public ProblemFactory(Task task, NDManager manager, int patch, double sigmaMin, double sigmaMax, long seed, int blocks) {
        if (blocks < 1) throw new IllegalArgumentException("blocks must be >= 1, got " + blocks);
        this.blocks = blocks;
        this.task = task;
        this.manager = manager;
        this.patch = patch;
        this.sigmaMin = sigmaMin;
        this.sigmaMax = sigmaMax;
        if (task == Task.CS) {
            if (patch % 32 != 0) throw new IllegalArgumentException("CS training patches must be a multiple of 32, got " + patch);
            SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
            for (int i = 0; i < 8; i++) {
                double ratio = 0.1 + 0.4 * i / 7.0;
                SensingMatrix.Kind kind = i % 2 == 0 ? SensingMatrix.Kind.GAUSSIAN : SensingMatrix.Kind.HADAMARD;
                csPool.add(BlockCompressedSensing.create(manager, kind, patch, patch, 32, ratio, blocks, r.nextLong()));
            }
        }
    }

    public Task task() { return task; }

    /** A problem from a clean patch (values about [0, 1]); noise and operator drawn from {@code r}. */
    public ReconstructionProblem make(Plane clean, SplittableRandom r) {
        NDArray x = Tensors.owned(manager.create(clean.data(), new Shape(clean.height(), clean.width())));
        double sigma = sigmaMin + (sigmaMax - sigmaMin) * r.nextDouble();
        LinearOperator a;
        String what;
        boolean owns;
        if (task == Task.DEBLUR) {
            boolean gaussian = r.nextBoolean();
            double gs = 1 + 2 * r.nextDouble();
            double na = 0.7 + 0.7 * r.nextDouble(), lambda = 450 + 200 * r.nextDouble();
            double ring = 1.5 + 2.5 * r.nextDouble();
            double pixel = 0.61 * lambda / na / ring;
            what = gaussian ? String.format(Locale.ROOT, "gaussian:%.2f", gs) : String.format(Locale.ROOT, "airy:%.2f,%.0f,%.1f", na, lambda, pixel);
            int fit = clean.width() % 2 == 0 ? clean.width() - 1 : clean.width(); // small patches: the PSF's core only
            if (blocks == 1) {
                Plane psf = gaussian ? PsfGenerator.gaussian(gs, 0) : PsfGenerator.airy(na, lambda, pixel, 0);
                if (psf.width() > fit || psf.height() > fit) psf = centreCrop(psf, Math.min(fit, Math.min(psf.width(), psf.height())));
                a = FftConvolution.single(manager, Psf.of(psf, what), clean.width(), clean.height(), Boundary.PERIODIC);
            } else {
                double rotation = Math.PI * r.nextDouble();
                int size = Math.min(fit, gaussian ? 2 * (int) Math.ceil(3 * 2 * gs) + 1 : 2 * (int) Math.ceil(6 * ring) + 1);
                List<Plane> views = new ArrayList<>();
                for (int k = 0; k < blocks; k++) {
                    double theta = rotation + Math.PI * k / blocks;
                    views.add(gaussian ? PsfGenerator.gaussianStretched(gs, 2, theta, size)
                            : PsfGenerator.airyStretched(na, lambda, pixel, 2, theta, size));
                }
                what = blocks + " views, " + what + " stretched 2x";
                a = FftConvolution.multiFrame(manager, Psf.of(views, what), clean.width(), clean.height(), Boundary.PERIODIC);
            }
            owns = true;
        } else {
            a = csPool.get(r.nextInt(csPool.size()));
            what = "cs " + a.spec();
            owns = false;
        }
        NDArray clean64 = a.apply(x);
        float[] ym = clean64.toFloatArray();
        clean64.close();
        boolean poisson = task == Task.DEBLUR && r.nextBoolean();
        double photons = poisson ? 50 + 950 * r.nextDouble() : 0;
        double effective = sigma;
        for (int i = 0; i < ym.length; i++) {
            double v = ym[i];
            if (poisson) v = io.equilibria.physics.Noise.poisson(r, Math.max(0, v) * photons) / photons;
            ym[i] = (float) (v + sigma * io.equilibria.physics.Noise.gaussian(r));
        }
        if (poisson) effective = Math.sqrt(sigma * sigma + 0.25 / photons); // Poisson σ at mid-grey, for the denoiser's noise map
        NDArray y = Tensors.owned(manager.create(ym, a.rangeShape()));
        return new ReconstructionProblem(x, a, y, effective, what + String.format(Locale.ROOT, ", sigma %.4f%s", sigma,
                poisson ? String.format(Locale.ROOT, ", photons %.0f", photons) : ""), owns);
    }

    /** The central n×n of an odd-sized PSF, renormalised to sum 1. */
    static Plane centreCrop(Plane p, int n) {
        int x0 = (p.width() - n) / 2, y0 = (p.height() - n) / 2;
        float[] d = new float[n * n];
        double sum = 0;
        for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) sum += d[y * n + x] = p.data()[(y0 + y) * p.width() + x0 + x];
        for (int i = 0; i < d.length; i++) d[i] /= (float) sum;
        return new Plane(n, n, d);
    }

    @Override
    public void close() {
        for (LinearOperator a : csPool) {
            try {
                a.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
