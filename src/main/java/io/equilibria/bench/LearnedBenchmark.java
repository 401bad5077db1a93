package io.equilibria.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.physics.BlockCompressedSensing;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.LinearOperator;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.SensingMatrix;
import io.equilibria.priors.NoiseLevel;
import io.equilibria.solvers.IterationListener;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.classical.FistaTv;
import io.equilibria.reconstruct.classical.RichardsonLucy;
import io.equilibria.reconstruct.classical.Tikhonov;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.reconstruct.methods.LearnedReconstruction;
import io.equilibria.solvers.SolverOptions;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The learned-reconstruction benchmark (issue 4's targets), one run: on an evaluation set that shares no image with
 * training, each scenario simulates measurements, runs the classical methods with their best parameter chosen
 * knowing the ground truth (RL: best iteration up to 200; Wiener: best λ on a grid; FISTA-TV: best λ on a grid) and
 * the shipped DEQ with its defaults (noise level estimated from the data, as a user gets it), and prints per-image
 * PSNR/SSIM and times. The classical methods are thus favoured; the DEQ is not tuned per image.
 */
public final class LearnedBenchmark {
    /** One evaluation image (values in [0, 1]) and where it came from. */
    public record Image(String name, Plane plane) {}

    /** Per image, per method: PSNR, SSIM, seconds, and the parameter chosen. */
    public record Row(String scenario, String image, String method, double psnr, double ssim, double seconds, String parameter) {}

    private final NDManager m;
    private final PrintStream out;
    private final String deblurModel, csModel;
    public final List<Row> rows = new ArrayList<>();
    private int iterations = io.equilibria.reconstruct.methods.MethodConfig.DEQ_ITERATIONS;
    private double tolerance = io.equilibria.reconstruct.methods.MethodConfig.DEQ_TOLERANCE;

    /** The DEQ's solver budget (default: the CLI's defaults). */
    public LearnedBenchmark solver(int iterations, double tolerance) {
        this.iterations = iterations;
        this.tolerance = tolerance;
        return this;
    }

    public LearnedBenchmark(NDManager m, PrintStream out, String deblurModel, String csModel) {
        this.m = m;
        this.out = out;
        this.deblurModel = deblurModel;
        this.csModel = csModel;
    }

    // ---- scenarios ----------------------------------------------------------------------------------------------

    /** Deblurring with {@code psf}; Gaussian noise σ and (photons > 0) Poisson noise at that many photons per unit. */
    public void deblur(String scenario, Psf psf, double sigma, double photons, List<Image> images, long seed) {
        table(scenario, List.of("input", "RL (best iter)", "Wiener (best λ)", "TV (best λ)", "DEQ"), "DEQ − best classical", images,
                "%nDEQ minus the better of RL and Wiener: mean %+.2f dB, worst image %+.2f dB (target: >= +1.5 dB on average and on every image)%n",
                (sub, img, i) -> {
                    try (FftConvolution a = FftConvolution.single(sub, psf, img.plane().width(), img.plane().height(), Boundary.PERIODIC)) {
                        NDArray x = Tensors.of(sub, img.plane());
                        Plane blurred = Tensors.toPlane(a.apply(x));
                        Plane noisy = noisy(blurred, sigma, photons, new SplittableRandom(seed + i));
                        NDArray y = Tensors.of(sub, noisy);
                        Row input = row(scenario, img.name(), "input", img.plane(), noisy, 0, "");
                        Row rl = bestRl(scenario, img, a, y);
                        Row wiener = best(scenario, img, "wiener", a, y, new double[] {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1},
                                lam -> new Tikhonov(lam, 200, 1e-5));
                        Row tv = best(scenario, img, "tv", a, y, new double[] {1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2},
                                lam -> new FistaTv(lam, 150, 20, 1e-5, true));
                        double est = NoiseLevel.effective(noisy);
                        Row deq = learned(scenario, img, a, y, false, est, deblurModel);
                        return new ImageRows(List.of(input, rl, wiener, tv, deq), deq.psnr() - Math.max(rl.psnr(), wiener.psnr()));
                    }
                });
    }

    /** Block compressed sensing (32×32 blocks, {@code kind} rows) at {@code ratio} with Gaussian noise σ. */
    public void compressedSensing(String scenario, SensingMatrix.Kind kind, double ratio, double sigma, List<Image> images, long seed) {
        table(scenario, List.of("Aᵀy", "Wiener (best λ)", "TV (best λ)", "DEQ"), "DEQ − TV", images,
                "%nDEQ minus FISTA-TV (best λ): mean %+.2f dB, worst image %+.2f dB (target: >= +2 dB on average)%n",
                (sub, img, i) -> {
                    try (BlockCompressedSensing a = BlockCompressedSensing.create(sub, kind, img.plane().height(), img.plane().width(), 32, ratio, 1, seed + 100 + i)) {
                        NDArray x = Tensors.of(sub, img.plane());
                        Plane clean = Tensors.toPlane(a.apply(x));
                        NDArray y = Tensors.of(sub, noisy(clean, sigma, 0, new SplittableRandom(seed + i)));
                        Row adj = row(scenario, img.name(), "adjoint", img.plane(), Tensors.toPlane(a.toImage(a.adjoint(y))), 0, "");
                        Row wiener = best(scenario, img, "wiener", a, y, new double[] {1e-4, 1e-3, 1e-2, 1e-1}, lam -> new Tikhonov(lam, 200, 1e-5));
                        Row tv = best(scenario, img, "tv", a, y, new double[] {2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3, 8e-3},
                                lam -> new FistaTv(lam, 300, 20, 1e-5, true));
                        Row deq = learned(scenario, img, a, y, true, sigma, csModel);
                        return new ImageRows(List.of(adj, wiener, tv, deq), deq.psnr() - tv.psnr());
                    }
                });
    }

    /** One image of a scenario: its rows in the table's order (the DEQ's last) and the DEQ's gain over the reference. */
    private record ImageRows(List<Row> rows, double gain) {}

    /** One image of a scenario, the {@code i}-th, with a sub-manager that is closed after it. */
    private interface ScenarioImage {
        ImageRows run(NDManager sub, Image img, int i);
    }

    /**
     * A scenario's table: a column per method ({@code methods}, the DEQ last), the DEQ's gain over the reference
     * ({@code gainColumn}), its iterations and seconds; a line per image, whose rows are kept; then {@code summary}
     * formatted with the mean and the worst gain.
     */
    private void table(String scenario, List<String> methods, String gainColumn, List<Image> images, String summary, ScenarioImage each) {
        out.println();
        out.println("### " + scenario);
        out.println();
        out.println("| image | " + String.join(" | ", methods) + " | " + gainColumn + " | DEQ iterations | DEQ s |");
        out.println("|" + "---|".repeat(methods.size() + 4));
        double gainSum = 0, minGain = Double.POSITIVE_INFINITY;
        for (int i = 0; i < images.size(); i++) {
            Image img = images.get(i);
            ImageRows r;
            try (NDManager sub = m.newSubManager()) {
                r = each.run(sub, img, i);
            }
            gainSum += r.gain();
            minGain = Math.min(minGain, r.gain());
            rows.addAll(r.rows());
            StringBuilder line = new StringBuilder("| ").append(img.name());
            for (Row row : r.rows()) line.append(" | ").append(cell(row));
            Row deq = r.rows().get(r.rows().size() - 1);
            out.printf(Locale.ROOT, "%s | %+.2f dB | %s | %.2f |%n", line, r.gain(), deq.parameter(), deq.seconds());
        }
        out.printf(Locale.ROOT, summary, gainSum / images.size(), minGain);
    }

    // ---- methods ------------------------------------------------------------------------------------------------

    private Row bestRl(String scenario, Image img, LinearOperator a, NDArray y) {
        int max = 200;
        double[] best = {Double.NEGATIVE_INFINITY, 0};
        long t0 = System.nanoTime();
        Result r = new RichardsonLucy(max, 0).reconstruct(a, y, (k, mx, x, change) -> {
            double p = ImageMetrics.psnr(img.plane(), Tensors.toPlane(a.toImage(x)), 1.0);
            if (p > best[0]) {
                best[0] = p;
                best[1] = k;
            }
            return true;
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        r.x().close();
        // rerun to the best iteration for the image and its SSIM
        Result b = new RichardsonLucy((int) best[1], 0).reconstruct(a, y, IterationListener.NONE);
        Row row = row(scenario, img.name(), "rl", img.plane(), Tensors.toPlane(a.toImage(b.x())), seconds * best[1] / max,
                "iterations " + (int) best[1]);
        b.x().close();
        return row;
    }

    private Row best(String scenario, Image img, String method, LinearOperator a, NDArray y, double[] grid,
                     java.util.function.DoubleFunction<io.equilibria.reconstruct.Reconstructor> make) {
        Row best = null;
        for (double lam : grid) {
            long t0 = System.nanoTime();
            Result r = make.apply(lam).reconstruct(a, y, IterationListener.NONE);
            double s = (System.nanoTime() - t0) / 1e9;
            Row row = row(scenario, img.name(), method, img.plane(), Tensors.toPlane(a.toImage(r.x())), s,
                    String.format(Locale.ROOT, "lambda %.1e", lam));
            r.x().close();
            if (best == null || row.psnr() > best.psnr()) best = row;
        }
        return best;
    }

    private Row learned(String scenario, Image img, LinearOperator a, NDArray y, boolean cs, double sigma, String model) {
        LearnedReconstruction r = new LearnedReconstruction(model, null, cs, sigma, "anderson",
                SolverOptions.of(iterations, tolerance));
        long t0 = System.nanoTime();
        Result res = Autograd.noGrad(() -> r.reconstruct(a, y, IterationListener.NONE));
        double s = (System.nanoTime() - t0) / 1e9;
        Row row = row(scenario, img.name(), "deq", img.plane(), Tensors.toPlane(a.toImage(res.x())), s,
                res.iterations() + (Boolean.TRUE.equals(res.parameters().get("converged")) ? "" : " (not converged)"));
        res.x().close();
        return row;
    }

    private static Row row(String scenario, String image, String method, Plane truth, Plane x, double seconds, String parameter) {
        return new Row(scenario, image, method, ImageMetrics.psnr(truth, x, 1.0), ImageMetrics.ssim(truth, x, 1.0), seconds, parameter);
    }

    private static String cell(Row r) {
        return String.format(Locale.ROOT, "%.2f / %.3f", r.psnr(), r.ssim());
    }

    /** {@code clean} plus Poisson noise at {@code photons} per unit intensity (none if 0) and Gaussian noise σ. */
    public static Plane noisy(Plane clean, double sigma, double photons, SplittableRandom r) {
        float[] in = clean.data(), o = new float[in.length];
        for (int k = 0; k < in.length; k++) {
            double v = in[k];
            if (photons > 0) v = Noise.poisson(r, Math.max(0, v) * photons) / photons;
            o[k] = (float) (v + sigma * Noise.gaussian(r));
        }
        return new Plane(clean.width(), clean.height(), o);
    }

    // ---- speed --------------------------------------------------------------------------------------------------

    /** GFLOP/s of six 32→32 3×3 convolutions on a (1, 32, n, n) input: the conv throughput of this machine now. */
    public static double convThroughput(NDManager m, int n, int repeats) {
        try (NDManager sub = m.newSubManager()) {
            NDArray w = sub.randomNormal(new Shape(32, 32, 3, 3)).mul(0.05f), b = sub.zeros(new Shape(32));
            NDArray x = sub.randomUniform(0, 1, new Shape(1, 32, n, n));
            double t = Timing.median(repeats, () -> {
                try (NDScope s = new NDScope()) {
                    NDArray h = x;
                    for (int l = 0; l < 6; l++) h = Conv2d.conv2d(h, w, b, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1)).singletonOrThrow();
                    h.getFloat(0, 0, 0, 0);
                }
            });
            return 6 * 2.0 * 9 * 32 * 32 * n * n / t / 1e9;
        }
    }

    /** GFLOP/s of the model's denoiser on one n×n image. */
    public static double denoiserThroughput(NDManager m, DeqModel model, int n, int repeats) {
        try (NDManager sub = m.newSubManager()) {
            NDArray x = sub.randomUniform(0, 1, new Shape(1, 1, n, n)), s = Tensors.owned(sub.create(new float[] {0.02f}));
            double t = Timing.median(repeats, () -> {
                try (NDScope sc = new NDScope()) {
                    Autograd.noGrad(() -> model.denoiser().denoise(x, s)).getFloat(0, 0, 0, 0);
                }
            });
            return model.denoiser().flopsPerPixel() * n * n / t / 1e9;
        }
    }
}
