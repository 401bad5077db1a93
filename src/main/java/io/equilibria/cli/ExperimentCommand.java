package io.equilibria.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.experiment.LinearDeqExperiment;
import io.equilibria.experiment.SingleIndexExperiment;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code experiment linear-deq|single-index}: the gradient-descent studies of linear and single-index DEQs. */
final class ExperimentCommand implements Command {
    @Override public String name() { return "experiment"; }
    @Override public String summary() { return "reproducible studies: linear-deq (conservation law), single-index (linear convergence), nngp (DEQ Gaussian-process kernel), geq (GEQ vs linear kernel vs MonDEQ)"; }
    @Override public String arguments() { return "linear-deq|single-index|nngp|geq"; }

    @Override
    public Options options() {
        return new Options()
                .addOption(Args.required("output", "DIR", "directory for the CSV tables, PNG plots and summary.json"))
                .addOption(Args.opt("samples", "N", "training samples (default 1000)"))
                .addOption(Args.opt("epochs", "N", "gradient-descent epochs (default 200 linear scalar, 400 single-index)"))
                .addOption(Args.opt("lr", "ETA", "step size (default 0.01 linear scalar, 0.1 single-index)"))
                .addOption(Args.opt("matrix-epochs", "N", "linear-deq: epochs of the matrix DEQ (default 1500)"))
                .addOption(Args.opt("matrix-lr", "ETA", "linear-deq: step size of the matrix DEQ (default 0.01)"))
                .addOption(Args.opt("dim", "D", "linear-deq: state dimension d of the matrix DEQ (default 4)"))
                .addOption(Args.opt("inputs", "P", "linear-deq: input dimension p of the matrix DEQ (default 3)"))
                .addOption(Args.opt("max-log2-width", "K", "nngp: widths 2^5 ... 2^K (default 12)"))
                .addOption(Args.opt("networks", "N", "nngp: random DEQs per width (default 20)"))
                .addOption(Args.opt("data", "DIR", "nngp: IDX folder for the GP classification; with train-* files the GP trains on those, else the t10k files are split (default sample-images/fashion-mnist-test-200). geq: IDX folder whose t10k files are the test set (default sample-images/mnist-test-200)"))
                .addOption(Args.opt("gp-train", "N", "nngp: GP training images (default 150)"))
                .addOption(Args.opt("gp-test", "N", "nngp: GP test images (default 50)"))
                .addOption(Args.opt("models", "A,B,..", "geq: classifiers to compare (default geq-mnist,geq-linear-mnist,mondeq-matched-mnist)"))
                .addOption(Args.opt("count", "N", "geq: first N images of the set (default all)"))
                .addOption(Args.opt("sigmas", "S1,S2,..", "geq: noise levels of the stability study, [0,1] pixel units (default 0.05,0.1,0.2,0.3)"))
                .addOption(Args.opt("rs-sigma", "S", "geq: randomized-smoothing sigma (default 0.25)"))
                .addOption(Args.opt("rs-n", "N", "geq: randomized-smoothing samples per image (default 1000)"))
                .addOption(Args.opt("rs-count", "N", "geq: images certified per model (default 100)"))
                .addOption(Args.opt("radii", "R1,R2,..", "geq: radii of the certified-accuracy table (default 0,0.25,0.5,0.75)"))
                .addOption(Args.opt("gp-epochs", "N", "nngp: epochs of the finite MonDEQ trained on the GP's images (default 20)"))
                .addOption(Args.opt("seed", "S", "random seed (default 42)"))
                .addOption(Args.opt("device", "D", "auto | cpu | gpu (default auto)"));
    }

    @Override
    public int run(CommandLine l) {
        List<String> rest = l.getArgList();
        if (rest.size() != 1 || !List.of("linear-deq", "single-index", "nngp", "geq").contains(rest.get(0))) {
            throw new UsageException("say which study: linear-deq, single-index, nngp or geq");
        }
        Path out = Path.of(l.getOptionValue("output"));
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        long seed = Args.integer(l, "seed", 42);
        int samples = positive(l, "samples", 1000);
        long t0 = System.nanoTime();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("study", rest.get(0));
        report.put("device", Compute.describe(device));
        report.put("solver", switch (rest.get(0)) {
            case "nngp" -> "random DEQs: anderson, float32, relative residual 1e-6; K*: fixed-point iteration to 1e-12 (a), 1e-10 (b, c); MonDEQ: Peaceman-Rachford, tolerance 1e-4";
            case "geq" -> "each model's own forward solver, tolerance and iteration cap (see its description)";
            default -> "anderson(m=6) forward and backward, float64, relative residual 1e-12 (backward 1e-10); gradients by implicit differentiation";
        });
        System.out.println("device: " + Compute.describe(device));
        try (NDManager m = Compute.manager(device)) {
            Map<String, Object> summary;
            if (rest.get(0).equals("geq")) {
                Path data = Path.of(l.getOptionValue("data", "sample-images/mnist-test-200"));
                if (!java.nio.file.Files.isDirectory(data)) throw new UsageException("--data must be an IDX folder (t10k-images/labels), got " + data);
                var c = new io.equilibria.experiment.GeqExperiment.Config(
                        List.of(l.getOptionValue("models", "geq-mnist,geq-linear-mnist,mondeq-matched-mnist").split(",")),
                        TrainClassifier.find(data, "t10k-images-idx3-ubyte"), TrainClassifier.find(data, "t10k-labels-idx1-ubyte"),
                        Args.integer(l, "count", 0), doubles(l, "sigmas", "0.05,0.1,0.2,0.3"), rate(l, "rs-sigma", 0.25),
                        positive(l, "rs-n", 1000), positive(l, "rs-count", 100), doubles(l, "radii", "0,0.25,0.5,0.75"), seed);
                report.put("config", Map.of("models", c.models(), "data", data.toString(), "count", c.count(), "sigmas", c.sigmas(),
                        "rs", Map.of("sigma", c.rsSigma(), "n", c.rsN(), "n0", 100, "alpha", 0.001, "images", c.rsCount())));
                try {
                    summary = io.equilibria.experiment.GeqExperiment.run(c, device, out);
                } catch (java.io.IOException e) {
                    throw new io.equilibria.errors.OutputException(out, e.getMessage());
                } catch (io.equilibria.errors.ModelException | IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            } else if (rest.get(0).equals("nngp")) {
                var c = new io.equilibria.experiment.NngpExperiment.Config(5, positive(l, "max-log2-width", 12), positive(l, "networks", 20),
                        Path.of(l.getOptionValue("data", "sample-images/fashion-mnist-test-200")), positive(l, "gp-train", 150),
                        positive(l, "gp-test", 50), positive(l, "gp-epochs", 20), seed);
                report.put("config", c.toString());
                try {
                    summary = io.equilibria.experiment.NngpExperiment.run(m, c, out);
                } catch (java.io.IOException e) {
                    throw new io.equilibria.errors.OutputException(out, e.getMessage());
                }
            } else if (rest.get(0).equals("linear-deq")) {
                LinearDeqExperiment.Config d = LinearDeqExperiment.Config.defaults();
                LinearDeqExperiment.Config c = new LinearDeqExperiment.Config(samples, positive(l, "epochs", d.epochs()),
                        rate(l, "lr", d.eta()), positive(l, "dim", d.dim()), positive(l, "inputs", d.inputs()),
                        positive(l, "matrix-epochs", d.matrixEpochs()), rate(l, "matrix-lr", d.matrixEta()), seed);
                report.put("config", c);
                summary = LinearDeqExperiment.run(m, c, out);
            } else {
                SingleIndexExperiment.Config d = SingleIndexExperiment.Config.defaults();
                SingleIndexExperiment.Config c = new SingleIndexExperiment.Config(samples, positive(l, "epochs", d.epochs()),
                        rate(l, "lr", d.eta()), seed);
                report.put("config", c);
                summary = SingleIndexExperiment.run(m, c, out);
            }
            report.putAll(summary);
        }
        report.put("seconds", (System.nanoTime() - t0) / 1e9);
        Json.write(out.resolve("summary.json"), report);
        System.out.println(Json.text(report));
        System.out.println("wrote CSV tables, PNG plots and summary.json to " + out.toAbsolutePath());
        return ExitCodes.OK;
    }

    private static double[] doubles(CommandLine l, String name, String dflt) {
        try {
            double[] v = java.util.Arrays.stream(l.getOptionValue(name, dflt).split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
            for (double d : v) if (!(d >= 0) || Double.isInfinite(d)) throw new NumberFormatException("negative or not finite");
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a comma-separated list of numbers >= 0");
        }
    }

    private static int positive(CommandLine l, String name, int dflt) {
        int v = Args.integer(l, name, dflt);
        if (v < 1) throw new UsageException("--" + name + " must be >= 1");
        return v;
    }

    private static double rate(CommandLine l, String name, double dflt) {
        double v = Args.dbl(l, name, dflt);
        if (!(v > 0)) throw new UsageException("--" + name + " must be > 0");
        return v;
    }
}
