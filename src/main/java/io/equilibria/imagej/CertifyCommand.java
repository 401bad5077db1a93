package io.equilibria.imagej;

import ai.djl.Device;
import ij.IJ;
import ij.ImagePlus;
import ij.gui.GenericDialog;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import io.equilibria.certify.Certifier;
import io.equilibria.certify.Classifier;
import io.equilibria.certify.load.LoadedClassifier;
import io.equilibria.certify.SerialClassifier;
import io.equilibria.certify.SrsCertificate;
import io.equilibria.certify.data.LabelledImages;
import io.equilibria.compute.Compute;
import io.equilibria.image.ChannelChoice;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.models.ModelStore;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code Plugins > Equilibria > Certify Classifier...}: the CLI's {@code certify} for the current image, from a
 * recordable {@link GenericDialog} (every field has a macro key). The image (one plane, exactly the model's size,
 * scaled to [0, 1] by its bit depth) is certified by randomized smoothing ({@code rs}), serialized randomized
 * smoothing ({@code srs}, equilibrium models) or the Lipschitz-margin certificate ({@code lipschitz}, LBEN/MonDEQ
 * models) with {@link Certifier}; the predicted class (or abstention), the certified L2 radius and the method's details
 * are added as one row to the results table {@value #TABLE} and logged. Esc cancels between classifier batches and
 * adds no row.
 */
public final class CertifyCommand implements PlugIn {
    static final String TITLE = "Certify Classifier";
    /** Title of the results table the rows go to. */
    static final String TABLE = "Equilibria Certification";
    static final String[] METHODS = {"rs", "srs", "lipschitz"};

    /** The table rows are added to when no window called {@value #TABLE} is open (headless, batch mode). */
    private static ResultsTable table;
    /** Whether {@link #table} was last shown in a window (closing that window then starts a new table). */
    private static boolean tableInWindow;

    @Override
    public void run(String arg) {
        ImagePlus imp = CommandSupport.currentImage();
        if (imp == null) return;
        Certifier.Settings d = Certifier.Settings.defaults(Certifier.Method.RS);
        GenericDialog gd = new GenericDialog(TITLE);
        List<String> models = new ArrayList<>(classifiers());
        models.add(CommandSupport.MODEL_FILE);
        gd.addChoice("model", models.toArray(String[]::new), models.get(0));
        CommandSupport.addFileField(gd, "model_file", "", 28);
        gd.addChoice("method", METHODS, d.method().label());
        gd.addNumericField("sigma", d.sigma(), 3, 8, "(noise, [0,1] pixel units)");
        gd.addNumericField("n", d.n(), 0, 8, "(estimation samples)");
        gd.addNumericField("n0", d.n0(), 0, 8, "(selection samples)");
        gd.addNumericField("alpha", d.alpha(), 6, 8, "(failure probability)");
        gd.addNumericField("batch", d.batch(), 0, 8, "(samples per classifier call)");
        gd.addNumericField("seed", d.seed(), 0, 8, "");
        gd.addNumericField("srs_steps", d.srsSteps(), 0, 8, "(SRS: solver steps per warm-started batch)");
        gd.addNumericField("srs_recheck", d.srsRecheck(), 0, 8, "(SRS: re-checked samples, at most n)");
        gd.addMessage("TorchScript model files (.pt, .pth, .ts, .torchscript) only:");
        gd.addNumericField("classes", 10, 0, 8, "");
        gd.addStringField("input_size", "1,28,28", 12);
        gd.addStringField("mean", "", 12);
        gd.addStringField("std", "", 12);
        gd.addChoice("device", new String[] {"auto", "cpu", "gpu"}, "auto");
        gd.showDialog();
        if (gd.wasCanceled()) return;
        String model;
        Certifier.Settings settings;
        LoadedClassifier.TorchScriptSpec spec;
        String device;
        try {
            String choice = gd.getNextChoice();
            String file = gd.getNextString().trim();
            if (choice.equals(CommandSupport.MODEL_FILE)) {
                if (file.isEmpty()) throw new IllegalArgumentException("model 'file...': choose a model file (NAME.json with NAME.params beside it, or a TorchScript file)");
                model = file;
            } else {
                model = choice;
            }
            Certifier.Method method = Certifier.Method.parse(gd.getNextChoice());
            double sigma = gd.getNextNumber();
            int n = integer(gd, "n"), n0 = integer(gd, "n0");
            double alpha = gd.getNextNumber();
            int batch = integer(gd, "batch");
            long seed = (long) gd.getNextNumber();
            int srsSteps = integer(gd, "srs_steps"), srsRecheck = integer(gd, "srs_recheck");
            int classes = integer(gd, "classes");
            String inputSize = gd.getNextString(), mean = gd.getNextString(), std = gd.getNextString();
            device = gd.getNextChoice();
            settings = new Certifier.Settings(method, sigma, n0, n, alpha, batch, seed, srsSteps, Math.min(srsRecheck, Math.max(1, n)),
                    SrsCertificate.Variant.PAPER);
            spec = LoadedClassifier.isTorchScript(model) ? spec(classes, inputSize, mean, std) : null;
        } catch (IllegalArgumentException e) {
            IJ.error(TITLE, e.getMessage().replace("--", ""));
            return;
        }
        String finalModel = model;
        Certifier.Settings s = settings;
        LoadedClassifier.TorchScriptSpec sp = spec;
        CommandSupport.runOffEdt(TITLE, () -> certify(imp, finalModel, sp, s, Compute.resolve(device)));
    }

    private static int integer(GenericDialog gd, String key) {
        double v = gd.getNextNumber();
        if (Double.isNaN(v) || v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) throw new IllegalArgumentException(key + " must be a whole number");
        return (int) v;
    }

    /** The classifiers (cards of kind {@code classifier}) found on the model search path. */
    static List<String> classifiers() {
        List<String> names = new ArrayList<>();
        for (String name : ModelStore.available()) {
            try {
                if ("classifier".equals(ModelStore.readCard(ModelStore.resolve(name)).kind())) names.add(name);
            } catch (RuntimeException unreadable) {
                // a broken card is not offered
            }
        }
        return names;
    }

    /** The spec from the dialog's fields; a message names the field as the dialog and the macro do. */
    static LoadedClassifier.TorchScriptSpec spec(int classes, String inputSize, String mean, String std) {
        try {
            return LoadedClassifier.TorchScriptSpec.parse(classes, inputSize, mean, std);
        } catch (LoadedClassifier.TorchScriptSpec.Invalid e) {
            throw new IllegalArgumentException(e.field().name().toLowerCase(java.util.Locale.ROOT) + ": " + e.getMessage());
        }
    }

    /**
     * The certification itself, for the dialog and for tests: loads the model, checks the image and the method against
     * it (an exception with a clear message otherwise), certifies and adds the row. Null if cancelled with Esc.
     */
    static Certifier.Outcome certify(ImagePlus imp, String model, LoadedClassifier.TorchScriptSpec spec, Certifier.Settings s, Device device) {
        IJ.resetEscape(); // an Esc pressed before this run must not cancel it
        IJ.showStatus(TITLE + ": loading " + model);
        try (LoadedClassifier loaded = LoadedClassifier.load(model, spec, device)) {
            ImageData data = ImageFiles.fromImagePlus(imp, ChannelChoice.NONE, null);
            float[] x = LabelledImages.pixels(data, loaded.classifier().inputShape(), source(imp));
            String why = loaded.certifier().unsupported(s.method());
            if (why != null) throw new IllegalArgumentException("method " + s.method().label() + ": " + why);
            Certifier.Outcome o;
            try {
                o = watched(loaded.certifier(), s).certify(x, 0, s);
            } catch (CancellationException e) {
                IJ.resetEscape();
                IJ.showProgress(1.0);
                IJ.showStatus(TITLE + ": cancelled");
                return null;
            }
            IJ.showProgress(1.0);
            addRow(imp.getTitle(), loaded.name(), s, o);
            String line = logLine(imp.getTitle(), loaded.description(), s, o, loaded.certifier().lipschitzBound());
            IJ.log(line);
            IJ.showStatus(line);
            return o;
        }
    }

    /** The image's file if it has one, else its title, as the name error messages start with. */
    private static Path source(ImagePlus imp) {
        var fi = imp.getOriginalFileInfo();
        try {
            if (fi != null && fi.directory != null && fi.fileName != null && !fi.directory.isEmpty()) return Path.of(fi.directory, fi.fileName);
            return Path.of(imp.getTitle());
        } catch (InvalidPathException e) {
            return Path.of("image");
        }
    }

    /**
     * For the sampling methods: the same classifier behind a watcher that shows progress over the n0 + n noisy samples
     * and throws {@link CancellationException} when Esc was pressed (between batches). Lipschitz is one solve: as is.
     */
    static Certifier watched(Certifier c, Certifier.Settings s) {
        if (s.method() == Certifier.Method.LIPSCHITZ) return c;
        long total = (long) s.n0() + s.n();
        AtomicLong done = new AtomicLong();
        Runnable tick = () -> {
            if (IJ.escapePressed()) throw new CancellationException("cancelled");
        };
        java.util.function.IntConsumer after = rows -> {
            long k = done.addAndGet(rows);
            IJ.showProgress(Math.min(0.99, k / (double) total));
            IJ.showStatus(String.format(Locale.ROOT, "%s: %s, %d/%d noisy samples (Esc cancels)", TITLE, s.method().label(), Math.min(k, total), total));
        };
        Classifier inner = c.classifier();
        Classifier w;
        if (inner instanceof SerialClassifier sc) {
            w = new SerialClassifier() {
                @Override public int numClasses() { return sc.numClasses(); }
                @Override public int[] inputShape() { return sc.inputShape(); }
                @Override public Labels solve(float[][] batch) {
                    tick.run();
                    Labels l = sc.solve(batch);
                    after.accept(batch.length);
                    return l;
                }
                @Override public Labels steps(float[][] batch, States warm, int steps) {
                    tick.run();
                    Labels l = sc.steps(batch, warm, steps);
                    after.accept(batch.length);
                    return l;
                }
            };
        } else {
            w = new Classifier() {
                @Override public int numClasses() { return inner.numClasses(); }
                @Override public int[] inputShape() { return inner.inputShape(); }
                @Override public int[] classify(float[][] batch) {
                    tick.run();
                    int[] l = inner.classify(batch);
                    after.accept(batch.length);
                    return l;
                }
            };
        }
        return new Certifier(w, null, c.description());
    }

    /**
     * The columns of {@value #TABLE}, in order: every row has all of them (empty where a method has no such value), so
     * rows of different methods line up. Details a method reports beyond these are appended as further columns.
     */
    static final List<String> COLUMNS = List.of("Image", "Model", "Method", "Class", "Radius", "sigma", "n", "n0", "alpha",
            "Seconds", "selected", "nA", "pA", "srs_steps", "srs_recheck", "N1", "N2", "recheckAgreement", "mismatchBound",
            "effectiveCount", "variant", "solverSteps", "lipschitzBound", "margin", "solverIterations");

    /** One row of {@value #TABLE}: image, model, method, class or "abstain", radius, settings, seconds, details. */
    static synchronized void addRow(String image, String model, Certifier.Settings s, Certifier.Outcome o) {
        Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("Image", image);
        row.put("Model", model);
        row.put("Method", s.method().label());
        row.put("Class", o.abstained() ? "abstain" : Integer.toString(o.label()));
        if (!o.abstained()) row.put("Radius", o.radius());
        if (s.method() != Certifier.Method.LIPSCHITZ) {
            row.put("sigma", s.sigma());
            row.put("n", s.n());
            row.put("n0", s.n0());
            row.put("alpha", s.alpha());
        }
        if (s.method() == Certifier.Method.SRS) {
            row.put("srs_steps", s.srsSteps());
            row.put("srs_recheck", s.srsRecheck());
        }
        row.put("Seconds", o.seconds());
        for (Map.Entry<String, Object> e : o.details().entrySet()) {
            if (!e.getKey().equals("method") && !e.getKey().equals("n")) row.putIfAbsent(e.getKey(), e.getValue());
        }
        ResultsTable rt = table();
        rt.incrementCounter();
        // a new row's cells are 0 until set: every column gets a value or an empty cell
        java.util.Set<String> columns = new java.util.LinkedHashSet<>(COLUMNS);
        for (String h : rt.getHeadings()) if (!h.isBlank() && !h.equals("Label")) columns.add(h);
        columns.addAll(row.keySet());
        for (String c : columns) {
            Object v = row.get(c);
            if (v instanceof Number num && Double.isFinite(num.doubleValue())) rt.addValue(c, num.doubleValue());
            else rt.addValue(c, v == null || v instanceof Number ? "" : String.valueOf(v));
        }
        rt.show(TABLE);
        tableInWindow = ResultsTable.getResultsTable(TABLE) == rt;
    }

    /** The open {@value #TABLE} window's table, else the one kept here (a new one if its window was closed). */
    static synchronized ResultsTable table() {
        ResultsTable open = ResultsTable.getResultsTable(TABLE);
        if (open != null) table = open;
        else if (table == null || tableInWindow) {
            table = new ResultsTable();
            tableInWindow = false;
        }
        return table;
    }

    static String logLine(String image, String model, Certifier.Settings s, Certifier.Outcome o, double lipschitz) {
        String result = o.abstained() ? "abstain (no certified class)"
                : String.format(Locale.ROOT, "class %d, certified L2 radius %.3f", o.label(), o.radius());
        String how = s.method() == Certifier.Method.LIPSCHITZ
                ? String.format(Locale.ROOT, "method lipschitz, Lipschitz bound %.4g", lipschitz)
                : String.format(Locale.ROOT, "method %s, sigma %s, n %d, alpha %s", s.method().label(), num(s.sigma()), s.n(), num(s.alpha()));
        return String.format(Locale.ROOT, "%s: %s: %s (%s; model %s)", TITLE, image, result, how, model);
    }

    private static String num(double v) {
        return new java.math.BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }
}
