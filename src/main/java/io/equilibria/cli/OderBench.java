package io.equilibria.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.equilibria.bench.LearnedBenchmark;
import io.equilibria.bench.OderBenchmark;
import io.equilibria.compute.Compute;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.models.ModelStore;
import io.equilibria.physics.BlockCompressedSensing;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.FftConvolution;
import io.equilibria.physics.LinearOperator;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.SensingMatrix;
import io.equilibria.priors.DnCnn;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.reconstruct.oder.BlockSampler;
import io.equilibria.reconstruct.oder.MinibatchData;
import io.equilibria.reconstruct.oder.OderSettings;
import io.equilibria.train.DataConfig;
import io.equilibria.train.DeqTrainer;
import io.equilibria.train.DeqTraining;
import io.equilibria.train.loop.OptimizerConfig;
import io.equilibria.train.loop.ScheduleConfig;
import org.apache.commons.cli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code bench oder}: ODER against the full-batch DEQ-RED (same inputs, same model) on multi-view deblurring and on
 * block CS with I row groups, plus a short training comparison (time per epoch and validation PSNR at equal
 * wall-clock time). See {@link OderBenchmark}.
 */
final class OderBench {
    private OderBench() {}

    static int run(CommandLine l) throws IOException {
        int size = Args.integer(l, "size", 256);
        if (size < 64 || size % 32 != 0) throw new UsageException("--size must be a multiple of 32, at least 64");
        int phantoms = Args.integer(l, "phantoms", 2);
        if (phantoms < 0) throw new UsageException("--phantoms must be >= 0");
        int blocks = Args.integer(l, "blocks", 8), batch = Args.integer(l, "batch", 2);
        if (blocks < 2 || batch < 1 || batch > blocks) throw new UsageException("need --blocks >= 2 and 1 <= --batch <= --blocks");
        int trainEpochs = Args.integer(l, "train-epochs", 2), trainSteps = Args.integer(l, "train-steps", 8);
        String deblurModel = l.getOptionValue("deblur-model", available("oder-deblur") ? "oder-deblur" : "deq-deblur");
        String csModel = l.getOptionValue("cs-model", available("oder-cs") ? "oder-cs" : "deq-cs");
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        List<LearnedBenchmark.Image> images = LearnedBench.evaluationSet(size, phantoms, Args.path(l, "images"));
        OderSettings oder = OderSettings.defaults(batch);
        System.out.println("# bench oder");
        System.out.println();
        System.out.println("device: " + Compute.describe(device) + "; evaluation set (" + images.size() + " images, " + size + "x" + size
                + ", none used in training): " + String.join(", ", images.stream().map(LearnedBenchmark.Image::name).toList()));
        long seed = 20261122L;
        java.util.Set<String> parts = new java.util.LinkedHashSet<>(List.of(l.getOptionValue("parts", "views,cs,training,registration,warm-start").split(",")));
        parts.removeIf(String::isBlank);
        for (String p : parts) {
            if (!List.of("views", "cs", "training", "registration", "warm-start").contains(p.trim())) {
                throw new UsageException("--parts: unknown part '" + p + "' (views, cs, training, registration, warm-start)");
            }
        }
        if (parts.contains("views") || parts.contains("cs")) try (NDManager m = Compute.manager(device)) {
            OderBenchmark b = new OderBenchmark(m, System.out);
            List<OderBenchmark.Problem> mf = new ArrayList<>();
            List<OderBenchmark.Problem> cs = new ArrayList<>();
            List<Plane> views = new ArrayList<>();
            for (int k = 0; k < blocks; k++) views.add(PsfGenerator.gaussianStretched(2, 2, Math.PI * k / blocks, 25));
            for (int i = 0; i < images.size(); i++) {
                LearnedBenchmark.Image img = images.get(i);
                FftConvolution a = FftConvolution.multiFrame(m, Psf.of(views, blocks + " views"), size, size, Boundary.PERIODIC);
                mf.add(new OderBenchmark.Problem(img.name(), a, noisy(m, a, img.plane(), 0.01, seed + i), img.plane(), 0.01, false));
                BlockCompressedSensing c = BlockCompressedSensing.create(m, SensingMatrix.Kind.GAUSSIAN, size, size, 32, 0.25, blocks, seed + 100 + i);
                cs.add(new OderBenchmark.Problem(img.name(), c, noisy(m, c, img.plane(), 0.01, seed + 200 + i), img.plane(), 0.01, true));
            }
            if (parts.contains("views")) b.scenario(String.format(Locale.ROOT, "Multi-view deblurring: %d views, Gaussian PSF sigma 2 px stretched 2x at angles pi k/%d, "
                    + "noise sigma 0.01 per view", blocks, blocks), mf, deblurModel, oder);
            if (parts.contains("cs")) b.scenario(String.format(Locale.ROOT, "Compressed sensing: block Gaussian 32x32, ratio 0.25, rows in %d groups, noise sigma 0.01",
                    blocks), cs, csModel, oder);
            for (OderBenchmark.Problem p : mf) p.a().close();
            for (OderBenchmark.Problem p : cs) p.a().close();
        }
        if (parts.contains("training") && trainEpochs > 0) try (NDManager m = Compute.manager(device)) {
            training(m, blocks, batch, trainEpochs, trainSteps, Args.path(l, "data"));
        }
        if (parts.contains("registration")) {
            RegistrationBench.run(images, blocks, Args.dbl(l, "drift", 5), Args.dbl(l, "rotation", 2), "deq",
                    Files.createTempDirectory("equilibria-bench-registration"));
        }
        if (parts.contains("warm-start")) {
            RegistrationBench.warmStarts(images, Args.integer(l, "frames", 6), Args.dbl(l, "drift-per-frame", 2),
                    Files.createTempDirectory("equilibria-bench-warm-start"));
        }
        return ExitCodes.OK;
    }

    private static boolean available(String name) {
        try {
            ModelStore.resolve(name);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static NDArray noisy(NDManager m, LinearOperator a, Plane truth, double sigma, long seed) {
        NDArray x = Tensors.of(m, truth);
        NDArray padded = x;
        if (!a.domainShape().equals(x.getShape())) { // block CS pads to whole blocks
            padded = m.zeros(a.domainShape());
            padded.set(new ai.djl.ndarray.index.NDIndex("0:" + truth.height() + ", 0:" + truth.width()), x);
        }
        float[] d = a.apply(padded).toFloatArray();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < d.length; i++) d[i] += (float) (sigma * Noise.gaussian(r));
        return Tensors.owned(m.create(d, a.rangeShape()));
    }

    /**
     * Full-batch DEQ training against ODER training on 8-view deblurring problems, same start (the shipped deq-deblur:
     * denoiser and γ/τ/s), same data, same steps: seconds per epoch and the validation PSNR each has reached.
     */
    private static void training(NDManager m, int blocks, int batch, int epochs, int steps, java.nio.file.Path data) {
        System.out.println();
        System.out.println("### Training: full batch vs ODER (multi-view deblurring, " + blocks + " views, " + batch + " per iteration)");
        System.out.println();
        Map<String, List<Map<String, Object>>> histories = new LinkedHashMap<>();
        for (boolean useOder : new boolean[] {false, true}) {
            io.equilibria.priors.DenoiserConfig net = ((io.equilibria.priors.TrainableDenoiser) io.equilibria.priors.DenoiserHolder.load("deq-deblur", m)).config(); // denoiser and scalars of deq-deblur
            OderSettings o = useOder ? new OderSettings(batch, BlockSampler.Kind.UNIFORM, MinibatchData.Scaling.UNBIASED, 42, 5, 5, true) : null;
            DataConfig d = DeqTraining.Config.DEFAULT_DATA;
            DeqTraining.Config c = new DeqTraining.Config(DeqModel.Task.DEBLUR, DeqForm.RED, "deq-deblur", net,
                    new DataConfig(d.patch(), d.batch(), data, d.phantomFraction(), d.exclude(), d.validationFraction(), 2, d.validationSize()),
                    new DeqTraining.Problems(DeqTraining.Problems.DEFAULT.sigmaMin(), DeqTraining.Problems.DEFAULT.sigmaMax(), blocks),
                    new ScheduleConfig(epochs, steps), new OptimizerConfig(1e-4, "constant"), DeqTraining.Config.DEFAULT_SCALAR_RATE,
                    new DeqTraining.Solver("ift", useOder ? 60 : 30, 15, o), DeqTraining.Scalars.DEFAULT, DeqTraining.Config.DEFAULT_SEED);
            List<Map<String, Object>> h = new ArrayList<>();
            DeqTraining.Result r = DeqTraining.train(m, c, null, false, new DeqTraining.Listener() {
                @Override public void epoch(Map<String, Object> summary) { h.add(summary); }
            });
            histories.put(useOder ? "ODER" : "full batch", h);
        }
        System.out.println("Each run: " + epochs + " epochs x " + steps + " steps of 4 patches 64x64 (phantoms" + (data != null ? " and " + data : "")
                + "), both from deq-deblur (denoiser, gamma, tau, s); full batch: Anderson forward, IFT backward; ODER: Nesterov "
                + "forward and IFT backward with minibatches. Validation: 2 phantoms 128x128, each run with its own inference "
                + "(full batch: Anderson; ODER: minibatches).");
        System.out.println();
        System.out.println("| epoch | full batch: cumulative training s | validation dB | ODER: cumulative training s | validation dB |");
        System.out.println("|---|---|---|---|---|");
        List<Map<String, Object>> f = histories.get("full batch"), o = histories.get("ODER");
        double tf = 0, to = 0;
        double[] cumF = new double[epochs], cumO = new double[epochs], pf = new double[epochs], po = new double[epochs];
        for (int e = 0; e < epochs; e++) {
            tf += ((Number) f.get(e).get("trainSeconds")).doubleValue();
            to += ((Number) o.get(e).get("trainSeconds")).doubleValue();
            cumF[e] = tf;
            cumO[e] = to;
            pf[e] = psnr(f.get(e));
            po[e] = psnr(o.get(e));
            System.out.printf(Locale.ROOT, "| %d | %.0f | %.2f | %.0f | %.2f |%n", e + 1, tf, pf[e], to, po[e]);
        }
        double t = Math.min(tf, to);
        System.out.printf(Locale.ROOT, "%nSeconds per epoch (training steps only; validation excluded): full batch %.1f, ODER %.1f (ratio %.2f). "
                        + "At equal wall-clock time %.0f s: full batch %.2f dB, ODER %.2f dB (the last validation each finished by then).%n",
                tf / epochs, to / epochs, to / tf, t, at(cumF, pf, t), at(cumO, po, t));
    }

    private static double psnr(Map<String, Object> epoch) {
        return ((Number) ((Map<?, ?>) epoch.get("validation")).get("psnr")).doubleValue();
    }

    private static double at(double[] times, double[] values, double t) {
        double v = Double.NaN;
        for (int i = 0; i < times.length; i++) if (times[i] <= t + 1e-9) v = values[i];
        return v;
    }
}
