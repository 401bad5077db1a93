package io.equilibria.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Compute;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.classical.RichardsonLucy;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import java.util.Arrays;
import java.util.List;

/**
 * {@code bench}: FFT convolution (apply + adjoint) and Richardson–Lucy time per iteration at several image sizes,
 * and the GFLOP/s of a large matrix product measured in the same run, as a table. Medians of repeated runs after a
 * warm-up; the machine is noisy, so read ratios, not absolute numbers.
 */
final class BenchCommand implements Command {
    @Override public String name() { return "bench"; }
    @Override public String summary() { return "benchmarks: physics (FFT convolution, RL, GEMM GFLOP/s), deq (solvers and gradients on a conv DEQ), learned (DEQ reconstruction vs classical methods: quality, speed, memory) or oder (ODER vs full-batch DEQ: operator cost, PSNR, time, training), batch (headless batch throughput, memory, resume, warm starts, tiling), certify (SRS vs randomized smoothing, Lipschitz certificates, LBEN inequality) or 3d (3D deconvolution of z-stacks: rl and deq PSNR against zero-boundary RL at its oracle iteration, s per RL iteration, peak memory)"; }
    @Override public String arguments() { return "[physics|deq|learned|oder|batch|certify|3d]"; }

    @Override
    public Options options() {
        return new Options()
                .addOption(Args.opt("sizes", "LIST", "image sizes, comma-separated (default 256,1024,2048); 3d: volumes of the speed part, ZxYxX, comma-separated (default 64x256x256,64x512x512)"))
                .addOption(Args.opt("repeats", "N", "timed repeats per measurement (default 5)"))
                .addOption(Args.opt("psf-sigma", "S", "Gaussian PSF sigma in pixels (default 2)"))
                .addOption(Args.opt("channels", "C", "deq: channels of the conv DEQ state (default 32)"))
                .addOption(Args.opt("tolerance", "T", "deq: relative residual tolerance of forward and backward solves (default 1e-4)"))
                .addOption(Args.opt("step", "LIST", "deq: relaxation steps alpha of T = (1-alpha) z + alpha f(z), comma-separated (default 1,0.2)"))
                .addOption(Args.opt("images", "DIR", "learned: extra evaluation images (never used in training!) besides the built-in set"))
                .addOption(Args.opt("phantoms", "N", "learned: synthetic fluorescence phantoms in the evaluation set (default 4); 3d: 3D phantoms of the quality part (default 3)"))
                .addOption(Args.opt("size", "N", "learned: evaluation image side (centre crops; default 256); batch: side of the generated images (default 256); 3d: field of the quality phantoms, WxHxD (default 96x96x32)"))
                .addOption(Args.opt("deblur-model", "M", "learned: deblurring model (default deq-deblur)"))
                .addOption(Args.opt("cs-model", "M", "learned: CS model (default deq-cs)"))
                .addOption(Args.opt("memory-size", "N", "learned: side of the image whose deblur peak RSS is measured in a child process (default 2048; 0 skips)"))
                .addOption(Args.opt("csv", "FILE", "learned: also write every per-image row as CSV; 3d: every quality and speed row"))
                .addOption(Args.opt("iterations", "N", "3d: RL iterations of each timed speed run (default 10)"))
                .addOption(Args.opt("baseline-iterations", "N", "3d: iterations of the zero-boundary RL baseline, whose oracle-best one is taken (default 100)"))
                .addOption(Args.opt("deq-model", "M", "3d: DEQ model for the quality part (default: the one reconstruct deblur --3d --method deq uses, if it is a 3D model; else deq is skipped)"))
                .addOption(Args.opt("skip-quality", null, "3d: skip the quality part"))
                .addOption(Args.opt("skip-speed", null, "3d: skip the speed and memory part"))
                .addOption(Args.opt("blocks", "I", "oder: views / CS row groups (default 8)"))
                .addOption(Args.opt("parts", "LIST", "oder: which parts, comma-separated: views (multi-view ODER vs DEQ), cs, training, "
                        + "registration (drifting multi-view scenes: register's error against the truth, and the multi-frame deq from "
                        + "still views vs moving views with --register), warm-start (time-lapse warm-start savings: still, drifting "
                        + "with and without --follow-drift) (default all)"))
                .addOption(Args.opt("drift", "PX", "oder, registration part: largest drift between views in x and in y (default 5)"))
                .addOption(Args.opt("rotation", "DEG", "oder, registration part: largest rotation between views (default 2)"))
                .addOption(Args.opt("frames", "T", "oder, warm-start part: frames of the time-lapse (default 6)"))
                .addOption(Args.opt("drift-per-frame", "PX", "oder, warm-start part: drift of the drifting time-lapse per frame (default 2)"))
                .addOption(Args.opt("batch", "B", "oder: blocks per ODER iteration (default 2)"))
                .addOption(Args.opt("train-epochs", "N", "oder: epochs of the training comparison (default 2; 0 skips it)"))
                .addOption(Args.opt("train-steps", "N", "oder: steps per epoch of the training comparison (default 8)"))
                .addOption(Args.opt("data", "DIR", "oder: natural images for the training comparison (default: phantoms only)"))
                .addOption(Args.opt("count", "N", "batch: generated images in the folder (default 24); certify: test images (default 100)"))
                .addOption(Args.opt("method", "M", "batch: reconstruction method (default deq)"))
                .addOption(Args.opt("slices", "K", "batch: slices of the warm-start time-lapse (default 8)"))
                .addOption(Args.opt("tile-size", "N", "batch: side of the tiled-vs-untiled image, cut into tiles of N/2 (default 768)"))
                .addOption(Args.opt("large", "N", "batch: also deblur an N x N image under --max-memory and report its peak RSS (default 0: skip)"))
                .addOption(Args.opt("max-memory", "SIZE", "batch: the budget of the --large run (default 2g)"))
                .addOption(Args.opt("model", "M", "certify: DEQ classifier for RS vs SRS (default mondeq-mnist; none skips)"))
                .addOption(Args.opt("lben-model", "M", "certify: LBEN for the Lipschitz certificate (default lben-mnist; none skips)"))
                .addOption(Args.opt("input", "IDX|DIR", "certify: labelled test images (default sample-images/mnist-test-200)"))
                .addOption(Args.opt("sigma", "S", "certify: smoothing sigma (default 0.25)"))
                .addOption(Args.opt("n", "N", "certify: estimation samples (default 10000)"))
                .addOption(Args.opt("n0", "N", "certify: selection samples (default 100)"))
                .addOption(Args.opt("alpha", "A", "certify: failure probability (default 0.001)"))
                .addOption(Args.opt("sample-batch", "B", "certify: noisy samples per batch, RS and SRS alike (default 500)"))
                .addOption(Args.opt("srs-steps", "LIST", "certify: SRS solver steps S to compare (default 1,2,3)"))
                .addOption(Args.opt("srs-recheck", "K", "certify: SRS re-checked samples (default 400)"))
                .addOption(Args.opt("radii", "LIST", "certify: radii of the table (default 0,0.25,0.5,0.75)"))
                .addOption(Args.opt("eps", "LIST", "certify: Lipschitz radii (default 36/255,72/255,108/255)"))
                .addOption(Args.opt("search-steps", "N", "certify: hill-climbing steps of the empirical Lipschitz search (default 300)"))
                .addOption(Args.opt("seed", "S", "certify: noise seed (default 0)"))
                .addOption(Args.opt("output", "DIR", "certify: where the JSON report and plot go (default results/bench-certify)"))
                .addOption(Args.opt("device", "D", "auto | cpu | gpu (default auto)"));
    }

    @Override
    public int run(CommandLine l) throws java.io.IOException {
        String suite = l.getArgList().isEmpty() ? "physics" : l.getArgList().get(0);
        if (l.getArgList().size() > 1 || !List.of("physics", "deq", "learned", "oder", "batch", "certify", "3d").contains(suite)) {
            throw new UsageException("say which benchmark: physics, deq, learned, oder, batch, certify or 3d");
        }
        if (suite.equals("3d")) return VolumeBench.run(l);
        if (suite.equals("certify")) return CertifyBench.run(l);
        if (suite.equals("batch")) return BatchBench.run(l);
        if (suite.equals("oder")) return OderBench.run(l);
        if (suite.equals("deq")) return deq(l);
        if (suite.equals("learned")) return LearnedBench.run(l);
        int repeats = Args.integer(l, "repeats", 5);
        if (repeats < 1) throw new UsageException("--repeats must be >= 1");
        int[] sizes;
        try {
            sizes = Arrays.stream(l.getOptionValue("sizes", "256,1024,2048").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        } catch (NumberFormatException e) {
            throw new UsageException("--sizes needs comma-separated whole numbers");
        }
        double sigma = Args.dbl(l, "psf-sigma", 2);
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        System.out.println("device: " + Compute.describe(device) + ", PSF gaussian:" + sigma + ", boundary extended, "
                + repeats + " repeats (median)");
        Psf psf = Psf.of(PsfGenerator.gaussian(sigma, 0), "gaussian:" + sigma);
        try (NDManager m = Compute.manager(device)) {
            double gflops = gemm(m, 2048, repeats);
            System.out.printf("matrix product 2048x2048x2048 (float32): %.1f GFLOP/s%n%n", gflops);
            System.out.println("| image | FFT grid | conv apply+adjoint (ms) | FFT conv GFLOP/s* | RL iteration (ms) | RL iter / conv pair |");
            System.out.println("|---|---|---|---|---|---|");
            for (int n : sizes) {
                try (FftConvolution a = FftConvolution.single(m, psf, n, n, Boundary.EXTENDED); NDManager sub = m.newSubManager()) {
                    NDArray x = sub.randomUniform(0, 1, a.domainShape());
                    NDArray y = sub.randomUniform(0, 1, a.rangeShape());
                    double conv = io.equilibria.bench.Timing.median(repeats, () -> {
                        try (NDScope s = new NDScope()) {
                            a.adjoint(a.apply(x)).getFloat(0, 0);
                        }
                    });
                    RichardsonLucy rl = new RichardsonLucy(3, 0);
                    double rlIter = io.equilibria.bench.Timing.median(repeats, () -> {
                        try (NDScope s = new NDScope()) {
                            rl.reconstruct(a, y, io.equilibria.solvers.IterationListener.NONE).x().getFloat(0, 0);
                        }
                    }) / 3;
                    String grid = (String) a.spec().get("fftGrid");
                    String[] g = grid.split("x");
                    double pts = Double.parseDouble(g[0]) * Double.parseDouble(g[1]);
                    // 4 real 2D FFTs per apply+adjoint, ~2.5 N log2 N flops each (real-input FFT)
                    double flops = 4 * 2.5 * pts * Math.log(pts) / Math.log(2);
                    System.out.printf("| %dx%d | %s | %.2f | %.1f | %.2f | %.2f |%n", n, n, grid, conv * 1e3,
                            flops / conv / 1e9, rlIter * 1e3, rlIter / conv);
                }
            }
            System.out.println("* nominal FFT flop count 2.5·N·log2(N) per real 2D FFT; the RL iteration includes one "
                    + "apply+adjoint pair plus elementwise work and its start-up (A^T 1) amortised over 3 iterations");
        }
        return ExitCodes.OK;
    }

    private int deq(CommandLine l) {
        int repeats = Args.integer(l, "repeats", 3);
        if (repeats < 1) throw new UsageException("--repeats must be >= 1");
        int channels = Args.integer(l, "channels", 32);
        if (channels < 1) throw new UsageException("--channels must be >= 1");
        double tol = Args.dbl(l, "tolerance", 1e-4);
        if (!(tol > 0)) throw new UsageException("--tolerance must be > 0");
        int[] sizes = Arrays.stream(l.getOptionValue("sizes", "256").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        double[] steps = Arrays.stream(l.getOptionValue("step", "1,0.2").split(",")).mapToDouble(s -> Double.parseDouble(s.trim())).toArray();
        for (double r : steps) if (!(r > 0 && r <= 1)) throw new UsageException("--step values must be in (0, 1]");
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        System.out.println("device: " + Compute.describe(device) + "; conv DEQ z -> tanh(W2 relu(W1 z) + Wx x), " + channels
                + " channels, 3x3 convs spectrally normalised, state gain scaled for spectral radius ~0.7 at the fixed point, relaxed T = (1-alpha) z + alpha f(z); relative tolerance " + tol + "; median of " + repeats);
        try (NDManager m = Compute.manager(device)) {
            double gflops = gemm(m, 2048, 3);
            System.out.printf("matrix product 2048^3 (float32): %.1f GFLOP/s%n%n", gflops);
            for (int n : sizes) for (double step : steps) {
                System.out.println("| " + n + "x" + n + ", step alpha " + step + " | iterations | residual | converged | seconds | s / iteration |");
                System.out.println("|---|---|---|---|---|---|");
                for (io.equilibria.bench.ConvDeqBenchmark.Row r : io.equilibria.bench.ConvDeqBenchmark.run(m, n, channels, repeats, tol, step, 1)) {
                    System.out.printf(java.util.Locale.ROOT, "| %s | %d | %.2e | %s | %.3f | %.4f |%n", r.what(), r.iterations(),
                            r.residual(), r.converged(), r.seconds(), r.seconds() / Math.max(1, r.iterations()));
                }
                System.out.println();
            }
        }
        return ExitCodes.OK;
    }

    static double gemm(NDManager m, int n, int repeats) {
        try (NDManager sub = m.newSubManager()) {
            NDArray a = sub.randomNormal(new Shape(n, n)), b = sub.randomNormal(new Shape(n, n));
            double t = io.equilibria.bench.Timing.median(repeats, () -> {
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0);
                }
            });
            return 2.0 * n * n * n / t / 1e9;
        }
    }
}
