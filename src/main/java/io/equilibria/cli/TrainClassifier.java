package io.equilibria.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.classify.ConvEquilibriumNet;
import io.equilibria.classify.EquilibriumNet;
import io.equilibria.train.ConvClassifierTrainer;
import io.equilibria.classify.geq.GeqNet;
import io.equilibria.train.GeqTrainer;
import io.equilibria.compute.Compute;
import io.equilibria.errors.OutputException;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.train.ClassifierTrainer;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code train classifier}: a MonDEQ or LBEN equilibrium classifier on an MNIST-style IDX folder. */
final class TrainClassifier implements TrainCommand.Subcommand {
    @Override public String name() { return "classifier"; }
    @Override public String summary() { return "MonDEQ / LBEN equilibrium classifier on MNIST-style IDX data"; }

    @Override
    public List<Option> options() {
        return List.of(
                Args.required("output", "NAME|DIR", "model name (writes models/NAME.params + NAME.json) or a path DIR/NAME"),
                Args.opt("overwrite", null, "replace an existing model of that name"),
                Args.required("data", "DIR", "folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-* (MNIST layout)"),
                Args.opt("kind", "K", "mondeq | lben | conv-lben | conv-mondeq | geq | geq-linear (default mondeq)"),
                Args.opt("patches", "P[,P2..]", "geq kinds: patch sizes, one branch each, stride P/2 (default 4)"),
                Args.opt("grid", "Q", "geq kinds: each branch's hidden map is average-pooled to Q x Q (default 7)"),
                Args.opt("gamma-factor", "F", "geq: gamma = F / min_p ||x_p - W z_p||^2 per image (default 0.2, the paper's)"),
                Args.opt("fixed-gamma", "G", "geq: use this fixed gamma instead of the adaptive rule"),
                Args.opt("spectral-bound", "C", "geq kinds: rescale the dictionary W to spectral norm C; C < 1.166 keeps the hidden problem strongly convex for every gamma (default 1; 0: per-column weight normalisation only)"),
                Args.opt("gamma-rule", "R", "geq: where M of gamma = F/M is measured: input (min_p ||x_p||^2, i.e. at z = 0; default) or iterate (at every iterate)"),
                Args.opt("phantom-steps", "K", "geq kinds: damped steps recorded for the phantom gradient (default 5)"),
                Args.opt("channels", "C", "conv kinds: state channels (state C x H/2 x W/2; default 16)"),
                Args.opt("epsilon", "E", "conv-lben: epsilon of the direct parameterisation, the strong monotonicity of I - W in units of e^psi (default 1)"),
                Args.opt("init", "MODEL", "conv kinds: start from this model's weights (same architecture), e.g. to continue training"),
                Args.opt("backward-iterations", "N", "conv kinds: cap of the implicit-gradient Anderson solve (default 30)"),
                Args.opt("alpha-scale", "A", "conv kinds: forward-backward step as a multiple of mu/L^2, in (0, 2) (default 1.5)"),
                Args.opt("tolerance", "T", "conv kinds: relative FB residual to stop the forward solve (default 1e-3)"),
                Args.opt("hidden", "N", "equilibrium state size (default 256; geq kinds: hidden units per patch, default 32)"),
                Args.opt("monotonicity", "M", "MonDEQ: I - W >= mI (default 0.2)"),
                Args.opt("gamma", "G", "LBEN: prescribed Lipschitz bound (default 1)"),
                Args.opt("margin", "E", "LBEN: train for certified radius E (margin sqrt(2)*gamma*E; default 0.5)"),
                Args.opt("noise-sigma", "S", "Gaussian noise augmentation sigma in [0,1] pixel units (default 0.25 for mondeq, 0 for lben)"),
                Args.opt("logit-scale", "T", "cross-entropy on T*logits (default 1 for mondeq, 4 for lben)"),
                Args.opt("epochs", "N", "epochs (default 10; conv and geq kinds 3)"),
                Args.opt("batch", "B", "images per step (default 128)"),
                Args.opt("lr", "LR", "Adam learning rate, cosine to 1% (default 1e-3)"),
                Args.opt("train-limit", "N", "use only the first N training images (default all)"),
                Args.opt("test-limit", "N", "evaluate on the first N test images (default all)"),
                Args.opt("seed", "S", "seed of weights, order and noise (default 1)"),
                Args.opt("device", "D", "auto | cpu | gpu (default auto)"));
    }

    @Override
    public int run(CommandLine l, String commandLine) throws Exception {
        String kindName = l.getOptionValue("kind", "mondeq").toLowerCase(Locale.ROOT);
        if (kindName.equals("geq") || kindName.equals("geq-linear")) return runGeq(l, commandLine, kindName);
        EquilibriumNet.Kind kind = switch (kindName.startsWith("conv-") ? kindName.substring(5) : kindName) {
            case "mondeq" -> EquilibriumNet.Kind.MONDEQ;
            case "lben" -> EquilibriumNet.Kind.LBEN;
            default -> throw new UsageException("--kind must be mondeq, lben, conv-lben, conv-mondeq, geq or geq-linear");
        };
        if (kindName.startsWith("conv-")) return runConv(l, commandLine, kindName, kind);
        Data sets = data(l);
        IdxDataset train = sets.train(), test = sets.test();
        boolean lben = kind == EquilibriumNet.Kind.LBEN;
        EquilibriumNet.Config net;
        ClassifierTrainer.Config c;
        try {
            net = new EquilibriumNet.Config(kind, 1, train.height(), train.width(), Args.integer(l, "hidden", 256), 10,
                    Args.dbl(l, "monotonicity", 0.2), Args.dbl(l, "gamma", 1.0), 1e-3, EquilibriumNet.Method.PR, 1.0, 1e-4, 300,
                    Args.lng(l, "seed", 1));
            c = new ClassifierTrainer.Config(net, loop(l, 10, 1e-3, lben ? 0 : 0.25), margin(l, lben));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        TrainDenoiser.Target target = target(l, kind.name().toLowerCase(Locale.ROOT) + "-" + net.hidden());
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        System.out.printf(Locale.ROOT, "equilibria: training %s classifier '%s' on %s: %d train / %d test images, hidden %d, %d epochs x %d, noise sigma %.3g%s%n",
                kind, target.name(), Compute.describe(device), train.count(), test.count(), net.hidden(), c.loop().epochs(), c.loop().batch(), c.loop().noiseSigma(),
                lben ? String.format(Locale.ROOT, ", gamma %.3g, margin radius %.3g", net.gamma(), c.margin().epsilon()) : "");
        try (NDManager m = Compute.manager(device)) {
            ClassifierTrainer.Result r = ClassifierTrainer.train(m, c, train, test, printer(Integer.MAX_VALUE));
            Map<String, Object> validation = new LinkedHashMap<>(r.validation());
            var lb = r.net().toLben();
            validation.put("lipschitzBound", lb.gamma());
            validation.put("lbenSchurMargin", lb.schurMargin());
            String desc = String.format(Locale.ROOT, "%s equilibrium classifier, fully connected, %d hidden units, %s, input %dx%d in [0,1]%s",
                    kind, net.hidden(), lben ? "direct parameterisation, Lipschitz bound gamma = " + net.gamma() : "monotonicity m = " + net.monotonicity(),
                    net.height(), net.width(), c.loop().noiseSigma() > 0 ? ", trained with Gaussian noise sigma " + c.loop().noiseSigma() : "");
            save(target, desc, new ModelCard.Architecture(EquilibriumNet.class.getName(), net.toMap()), sets, commandLine, c.seed(),
                    c.toMap(), r.history(), r.seconds(), validation, r.net());
        }
        return ExitCodes.OK;
    }

    private int runConv(CommandLine l, String commandLine, String kindName, EquilibriumNet.Kind kind) throws Exception {
        Data sets = data(l);
        IdxDataset train = sets.train(), test = sets.test();
        boolean lben = kind == EquilibriumNet.Kind.LBEN;
        ConvEquilibriumNet.Config net;
        ConvClassifierTrainer.Config c;
        try {
            net = new ConvEquilibriumNet.Config(kind, train.height(), train.width(), Args.integer(l, "channels", 16), 10,
                    Args.dbl(l, "monotonicity", 0.5), Args.dbl(l, "gamma", 1.0), Args.dbl(l, "epsilon", 1.0), Args.dbl(l, "alpha-scale", 1.5),
                    Args.dbl(l, "tolerance", 1e-3), 500, Args.lng(l, "seed", 1));
            c = new ConvClassifierTrainer.Config(net, loop(l, 3, 1e-3, lben ? 0 : 0.25), margin(l, lben),
                    Args.integer(l, "backward-iterations", 30));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        TrainDenoiser.Target target = target(l, kindName + "-" + net.channels());
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        System.out.printf(Locale.ROOT, "equilibria: training conv %s classifier '%s' on %s: %d train / %d test images, %d channels, %d epochs x %d, noise sigma %.3g%s%n",
                kind, target.name(), Compute.describe(device), train.count(), test.count(), net.channels(), c.loop().epochs(), c.loop().batch(), c.loop().noiseSigma(),
                lben ? String.format(Locale.ROOT, ", gamma %.3g, epsilon %.3g, margin radius %.3g", net.gamma(), net.epsilon(), c.margin().epsilon()) : "");
        try (NDManager m = Compute.manager(device)) {
            ConvEquilibriumNet init = null;
            if (l.hasOption("init")) {
                var stored = ModelStore.load(l.getOptionValue("init"), m);
                if (!(stored.block() instanceof ConvEquilibriumNet cn)) throw new UsageException("--init must name a conv equilibrium classifier");
                init = cn;
            }
            ConvClassifierTrainer.Result r = ConvClassifierTrainer.train(m, c, train, test, printer(20), init);
            Map<String, Object> validation = new LinkedHashMap<>(r.validation());
            if (lben) {
                validation.put("lipschitzBound", net.gamma());
                validation.put("lbenSchurMargin", r.net().lmiMargin());
            }
            String desc = String.format(Locale.ROOT, "%s equilibrium classifier, convolutional (3x3 stride-2 input conv to %d x %d x %d state, 3x3 convs, dense readout), %s, input %dx%d in [0,1]%s%s",
                    kind, net.channels(), net.height() / 2, net.width() / 2,
                    lben ? "direct parameterisation with scalar Lambda, epsilon " + net.epsilon() + ", Lipschitz bound gamma = " + net.gamma() : "monotonicity m = " + net.monotonicity(),
                    net.height(), net.width(), c.loop().noiseSigma() > 0 ? ", trained with Gaussian noise sigma " + c.loop().noiseSigma() : "",
                    train.count() < 60000 ? ", trained on the first " + train.count() + " training images only" : "");
            save(target, desc, new ModelCard.Architecture(ConvEquilibriumNet.class.getName(), net.toMap()), sets, commandLine, c.seed(),
                    c.toMap(), r.history(), r.seconds(), validation, r.net());
        }
        return ExitCodes.OK;
    }

    private int runGeq(CommandLine l, String commandLine, String kindName) throws Exception {
        Data sets = data(l);
        IdxDataset train = sets.train(), test = sets.test();
        GeqNet.Kernel kernel = kindName.equals("geq") ? GeqNet.Kernel.GAUSSIAN : GeqNet.Kernel.LINEAR;
        double[] meanStd = meanStd(train);
        GeqNet.Config net;
        GeqTrainer.Config c;
        try {
            int[] patches = Arrays.stream(l.getOptionValue("patches", "4").split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            net = new GeqNet.Config(kernel, train.height(), train.width(), patches, Args.integer(l, "hidden", 32), Args.integer(l, "grid", 7), 10,
                    Args.dbl(l, "gamma-factor", 0.2), gammaRule(l), Args.dbl(l, "fixed-gamma", 0), 1e-3, Args.dbl(l, "spectral-bound", 1.0), meanStd[0], meanStd[1], Args.dbl(l, "alpha-scale", 1.0),
                    Args.dbl(l, "tolerance", 1e-3), 200, Args.integer(l, "phantom-steps", 5), 0.5, Args.lng(l, "seed", 1));
            c = new GeqTrainer.Config(net, loop(l, 3, 2e-3, 0));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        TrainDenoiser.Target target = target(l, kindName + "-" + net.hidden());
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        System.out.printf(Locale.ROOT, "equilibria: training %s classifier '%s' on %s: %d train / %d test images, patches %s, hidden %d, grid %d, gamma %s, %d epochs x %d%n",
                kindName, target.name(), Compute.describe(device), train.count(), test.count(), Arrays.toString(net.patches()), net.hidden(), net.grid(),
                net.describeGamma(), c.loop().epochs(), c.loop().batch());
        try (NDManager m = Compute.manager(device)) {
            GeqTrainer.Result r = GeqTrainer.train(m, c, train, test, printer(50));
            Map<String, Object> validation = new LinkedHashMap<>(r.validation());
            validation.put("parameters", r.net().parameterCount());
            String desc = String.format(Locale.ROOT, "%s equilibrium classifier: per-patch %s kernel layer z_p = ReLU(%sW^T(x_p - W z_p) + b), patches %s (stride p/2), %d hidden units per patch, pooled to %dx%d, dense readout, %d parameters, dictionary W weight-normalised%s; input %dx%d in [0,1]%s%s",
                    kernel == GeqNet.Kernel.GAUSSIAN ? "GEQ (Gaussian-kernel)" : "OptEq-style linear-kernel (the GEQ layer's gamma -> 0 limit)",
                    kernel == GeqNet.Kernel.GAUSSIAN ? "Gaussian" : "linear", kernel == GeqNet.Kernel.GAUSSIAN ? "exp(-gamma ||x_p - W z_p||^2) " : "",
                    Arrays.toString(net.patches()), net.hidden(), net.grid(), net.grid(), r.net().parameterCount(),
                    net.spectralBound() > 0 ? " and rescaled to spectral norm " + net.spectralBound() : "", net.height(), net.width(),
                    kernel == GeqNet.Kernel.GAUSSIAN ? ", gamma " + net.describeGamma() : "",
                    train.count() < 60000 ? ", trained on the first " + train.count() + " training images only" : "");
            save(target, desc, new ModelCard.Architecture(GeqNet.class.getName(), net.toMap()), sets, commandLine, c.seed(),
                    c.toMap(), r.history(), r.seconds(), validation, r.net());
        }
        return ExitCodes.OK;
    }

    private static GeqNet.GammaRule gammaRule(CommandLine l) {
        String v = l.getOptionValue("gamma-rule", "input").toLowerCase(Locale.ROOT);
        return switch (v) {
            case "input" -> GeqNet.GammaRule.INPUT;
            case "iterate" -> GeqNet.GammaRule.ITERATE;
            default -> throw new UsageException("--gamma-rule must be input or iterate");
        };
    }

    /** Mean and standard deviation of the training pixels (the model normalises its input with them). */
    private static double[] meanStd(IdxDataset set) {
        org.apache.commons.math3.stat.descriptive.SummaryStatistics s = new org.apache.commons.math3.stat.descriptive.SummaryStatistics();
        for (float[] img : set.images()) for (float v : img) s.addValue(v);
        return new double[] {s.getMean(), s.getStandardDeviation()};
    }

    /** The IDX training and test sets of {@code --data}. */
    private record Data(Path dir, IdxDataset train, IdxDataset test) {}

    private static Data data(CommandLine l) {
        Path data = Args.path(l, "data");
        if (!Files.isDirectory(data)) throw new UsageException("--data must be a folder, got " + data);
        return new Data(data,
                IdxDataset.read(find(data, "train-images-idx3-ubyte"), find(data, "train-labels-idx1-ubyte"), Args.integer(l, "train-limit", 0)),
                IdxDataset.read(find(data, "t10k-images-idx3-ubyte"), find(data, "t10k-labels-idx1-ubyte"), Args.integer(l, "test-limit", 0)));
    }

    /** Where {@code --output} puts the model; an existing model there needs {@code --overwrite}. */
    private static TrainDenoiser.Target target(CommandLine l, String folderName) throws java.io.IOException {
        TrainDenoiser.Target target = TrainDenoiser.target(l.getOptionValue("output"), folderName);
        for (Path p : List.of(target.params(), target.card())) {
            if (Files.exists(p) && !l.hasOption("overwrite")) throw new OutputException(p, "exists; pass --overwrite to replace it");
        }
        Files.createDirectories(target.dir());
        return target;
    }

    /** --epochs, --batch (default 128), --lr, --noise-sigma and --seed (default 1), with each kind's defaults. */
    private static ClassifierTrainer.Loop loop(CommandLine l, int epochs, double lr, double noiseSigma) {
        return new ClassifierTrainer.Loop(Args.integer(l, "epochs", epochs), Args.integer(l, "batch", 128), Args.dbl(l, "lr", lr),
                Args.dbl(l, "noise-sigma", noiseSigma), Args.lng(l, "seed", 1));
    }

    /** --margin and --logit-scale: an LBEN trains with a certified margin by default, a MonDEQ with plain cross-entropy. */
    private static ClassifierTrainer.Margin margin(CommandLine l, boolean lben) {
        return new ClassifierTrainer.Margin(Args.dbl(l, "margin", lben ? 0.5 : 0), Args.dbl(l, "logit-scale", lben ? 4 : 1));
    }

    /** Progress lines: five per epoch, or every {@code maxInterval} steps if that is more often; a summary per epoch. */
    private static ClassifierTrainer.Listener printer(int maxInterval) {
        long t0 = System.nanoTime();
        return new ClassifierTrainer.Listener() {
            @Override public void step(int epoch, int step, int steps, double loss, int iterations) {
                if (step % Math.max(1, Math.min(maxInterval, steps / 5)) == 0) {
                    System.out.printf(Locale.ROOT, "epoch %d step %d/%d loss %.4f solver iterations %d (%.1f s)%n", epoch, step, steps, loss,
                            iterations, (System.nanoTime() - t0) / 1e9);
                }
            }

            @Override public void epoch(Map<String, Object> s) {
                System.out.println("epoch " + s.get("epoch") + ": " + Json.text(s));
            }
        };
    }

    /** Writes the model and its card (data, command, settings, per-epoch history, test metrics) and reports both. */
    private static void save(TrainDenoiser.Target target, String description, ModelCard.Architecture architecture, Data sets,
                             String commandLine, long seed, Map<String, Object> settings, List<Map<String, Object>> history,
                             double seconds, Map<String, Object> validation, ai.djl.nn.Block net) {
        List<Map<String, Object>> sources = new ArrayList<>();
        sources.add(Map.of("kind", "idx", "path", sets.dir().toString(), "train", sets.train().count(), "test", sets.test().count()));
        ModelCard card = ModelCard.of(target.name(), "classifier", description, architecture,
                new ModelCard.Training(commandLine, sources, seed, settings, history, seconds), validation);
        ModelCard done = ModelStore.save(target.dir(), card, net);
        System.out.println("equilibria: wrote " + target.params() + " (sha256 " + done.sha256() + ") and " + target.card());
        System.out.println("test: " + Json.text(validation));
    }

    /** {@code stem} or {@code stem.gz} in {@code dir}. */
    static Path find(Path dir, String stem) {
        for (String s : List.of(stem, stem + ".gz")) if (Files.isRegularFile(dir.resolve(s))) return dir.resolve(s);
        throw new UsageException("no " + stem + "[.gz] in " + dir);
    }
}
