package io.equilibria.certify.load;

import io.equilibria.certify.TorchScriptClassifier;
import io.equilibria.certify.LipschitzLogits;
import io.equilibria.certify.Classifier;
import io.equilibria.certify.Certifier;
import io.equilibria.certify.BlockClassifier;
import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.classify.ConvEquilibriumClassifier;
import io.equilibria.classify.ConvEquilibriumNet;
import io.equilibria.classify.EquilibriumClassifier;
import io.equilibria.classify.EquilibriumNet;
import io.equilibria.compute.Compute;
import io.equilibria.errors.ModelException;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A classifier ready to certify, loaded either from the project's model store (an equilibrium classifier with its card)
 * or from a user's TorchScript file with a stated input shape, class count and normalisation.
 */
public final class LoadedClassifier implements AutoCloseable {
    /** What a TorchScript file needs to be usable: its input (C, H, W), class count and per-channel normalisation. */
    public record TorchScriptSpec(int classes, int[] chw, float[] mean, float[] std) {
        /** A setting of the spec, so that each front end can name it its own way in a message. */
        public enum Field { CLASSES, INPUT_SIZE, MEAN, STD }

        /** A setting that does not parse; {@link #field()} says which. */
        public static final class Invalid extends IllegalArgumentException {
            private final Field field;

            Invalid(Field field, String message) {
                super(message);
                this.field = field;
            }

            public Field field() { return field; }
        }

        /**
         * The spec from a user's text: the class count, the input size "C,H,W" and optional per-channel mean and std
         * ("M1,M2,..", blank for none). The messages name the concept; {@link Invalid#field()} says which setting.
         */
        public static TorchScriptSpec parse(int classes, String inputSize, String mean, String std) {
            int[] chw;
            try {
                chw = java.util.Arrays.stream(inputSize.trim().split("\\s*,\\s*")).mapToInt(Integer::parseInt).toArray();
            } catch (NumberFormatException e) {
                chw = new int[0];
            }
            if (chw.length != 3 || chw[0] < 1 || chw[1] < 1 || chw[2] < 1) {
                throw new Invalid(Field.INPUT_SIZE, "the input size must be C,H,W (e.g. 1,28,28), got '" + inputSize + "'");
            }
            if (classes < 2) throw new Invalid(Field.CLASSES, "a TorchScript model needs its number of classes (at least 2), got " + classes);
            return new TorchScriptSpec(classes, chw, floats(Field.MEAN, "the mean", mean), floats(Field.STD, "the std", std));
        }

        private static float[] floats(Field field, String what, String text) {
            if (text == null || text.isBlank()) return new float[0];
            String[] p = text.trim().split("\\s*,\\s*");
            float[] f = new float[p.length];
            try {
                for (int i = 0; i < p.length; i++) f[i] = Float.parseFloat(p[i]);
            } catch (NumberFormatException e) {
                throw new Invalid(field, what + " must be numbers separated by commas (one per channel), got '" + text + "'");
            }
            return f;
        }
    }

    private final Certifier certifier;
    private final AutoCloseable resources;
    private final String name;

    private LoadedClassifier(Certifier certifier, AutoCloseable resources, String name) {
        this.certifier = certifier;
        this.resources = resources;
        this.name = name;
    }

    /** Whether {@code model} names a TorchScript file rather than a project model. */
    public static boolean isTorchScript(String model) {
        String s = model.toLowerCase(Locale.ROOT);
        return s.endsWith(".pt") || s.endsWith(".pth") || s.endsWith(".torchscript") || s.endsWith(".ts");
    }

    /**
     * Loads {@code model}: a TorchScript file (needs {@code spec}) or a project classifier by name or path.
     *
     * @throws ModelException if it cannot be loaded or is not a classifier
     */
    public static LoadedClassifier load(String model, TorchScriptSpec spec, Device device) {
        if (isTorchScript(model)) {
            if (spec == null) throw new IllegalArgumentException("a TorchScript model needs its input size and number of classes");
            BlockClassifier c = TorchScriptClassifier.load(Path.of(model), spec.classes(), spec.chw(), spec.mean(), spec.std(), device);
            String desc = "TorchScript " + Path.of(model).getFileName() + " (input " + spec.chw()[0] + "x" + spec.chw()[1] + "x"
                    + spec.chw()[2] + ", " + spec.classes() + " classes, on " + Compute.describe(device) + ")";
            return new LoadedClassifier(new Certifier(c, null, desc), c, Path.of(model).getFileName().toString());
        }
        NDManager manager = Compute.manager(device);
        try {
            StoredModel m = ModelStore.load(model, manager);
            if ("classifier".equals(m.card().kind()) && m.block() instanceof ConvEquilibriumNet conv) {
                ConvEquilibriumClassifier c = new ConvEquilibriumClassifier(conv);
                var cfg = conv.config();
                String desc = String.format(Locale.ROOT, "%s (conv %s, %d channels, FB+Anderson alpha %.3g to %.0e, max %d iterations, sha256 %s, on %s)",
                        m.card().name(), cfg.kind(), cfg.channels(), c.alpha(), cfg.tolerance(), cfg.maxIterations(),
                        m.card().sha256().substring(0, 12), Compute.describe(device));
                LipschitzLogits lip = cfg.kind() == EquilibriumNet.Kind.LBEN ? c.lipschitz() : null;
                return new LoadedClassifier(new Certifier(c, lip, desc), () -> {
                    c.close();
                    manager.close();
                }, m.card().name());
            }
            if ("classifier".equals(m.card().kind()) && m.block() instanceof io.equilibria.classify.geq.GeqNet geq) {
                io.equilibria.classify.geq.GeqClassifier c = new io.equilibria.classify.geq.GeqClassifier(geq);
                var cfg = geq.config();
                String desc = String.format(Locale.ROOT, "%s (%s kernel, patches %s, %d hidden per patch, gamma %s, FB+Anderson alpha %s to %.0e, max %d iterations, sha256 %s, on %s)",
                        m.card().name(), cfg.kernel().name().toLowerCase(Locale.ROOT), java.util.Arrays.toString(cfg.patches()), cfg.hidden(),
                        cfg.describeGamma(), java.util.Arrays.toString(c.alphas()), cfg.tolerance(), cfg.maxIterations(), m.card().sha256().substring(0, 12),
                        Compute.describe(device));
                return new LoadedClassifier(new Certifier(c, null, desc), () -> {
                    c.close();
                    manager.close();
                }, m.card().name());
            }
            if (!"classifier".equals(m.card().kind()) || !(m.block() instanceof EquilibriumNet net)) {
                throw new ModelException(m.cardFile(), "is a " + m.card().kind() + " model, not a classifier (see models/README.md)");
            }
            EquilibriumClassifier c = new EquilibriumClassifier(net);
            var cfg = net.config();
            String desc = String.format(Locale.ROOT, "%s (%s, %d hidden, %s solver to %.0e, max %d iterations, sha256 %s, on %s)",
                    m.card().name(), cfg.kind(), cfg.hidden(), cfg.method(), cfg.tolerance(), cfg.maxIterations(),
                    m.card().sha256().substring(0, 12), Compute.describe(device));
            return new LoadedClassifier(new Certifier(c, LipschitzLogits.of(c.net().toLben()), desc), // the LBEN form once (float64)
                    () -> {
                c.close();
                manager.close();
            }, m.card().name());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public Certifier certifier() { return certifier; }
    public Classifier classifier() { return certifier.classifier(); }
    public String name() { return name; }
    public String description() { return certifier.description(); }

    @Override
    public void close() {
        try {
            resources.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing the classifier failed: " + e.getMessage(), e);
        }
    }
}
