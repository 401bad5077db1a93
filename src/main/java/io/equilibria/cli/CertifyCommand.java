package io.equilibria.cli;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.batch.Journal;
import io.equilibria.certify.CertifiedAccuracy;
import io.equilibria.certify.Certifier;
import io.equilibria.certify.load.LoadedClassifier;
import io.equilibria.certify.RandomizedSmoothing;
import io.equilibria.certify.SrsCertificate;
import io.equilibria.certify.data.LabelledImages;
import io.equilibria.compute.Compute;
import io.equilibria.image.AtomicFiles;
import io.equilibria.report.Charts;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code certify}: certified predictions of a classifier for one image, a folder or an IDX set, by randomized smoothing,
 * serialized randomized smoothing or the Lipschitz margin. Over a labelled set it writes the certified-accuracy-vs-radius
 * table (CSV) and plot (PNG). Finished images are journaled, so {@code --resume} continues a run that died.
 */
final class CertifyCommand implements Command {
    static final double[] DEFAULT_RADII = {0, 36 / 255.0, 0.25, 72 / 255.0, 108 / 255.0, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0};
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override public String name() { return "certify"; }
    @Override public String summary() { return "certified robustness of a classifier: randomized smoothing, SRS or Lipschitz (LBEN)"; }

    @Override
    public io.equilibria.errors.Setting.Names settingNames() {
        return s -> switch (s) {
            case SMOOTHING_SIGMA -> "--sigma";
            case SAMPLES -> "--n0, --n, --batch";
            case SRS_STEPS -> "--srs-steps, --srs-recheck";
            case MODEL -> "--model";
            case INPUT -> "--input";
            case OUTPUT -> "--output";
            default -> null;
        };
    }

    @Override
    public Options options() {
        Certifier.Settings d = Certifier.Settings.defaults(Certifier.Method.RS);
        Options o = new Options();
        o.addOption(Args.required("model", "M", "classifier: a name in models/ (e.g. mondeq-mnist, lben-mnist), a model card path, or a TorchScript file (.pt/.pth/.ts)"));
        o.addOption(Args.required("input", "IMG|DIR|IDX", "one image, a folder of images (labels from --labels or numeric sub-folders), an IDX image file or a folder holding t10k-images-idx3-ubyte[.gz]"));
        o.addOption(Args.opt("method", "M", "rs | srs | lipschitz (default rs)"));
        o.addOption(Args.opt("sigma", "S", "smoothing noise sigma in input units, [0,1] pixels for the shipped models (default " + d.sigma() + ")"));
        o.addOption(Args.opt("n", "N", "estimation samples (default " + d.n() + ")"));
        o.addOption(Args.opt("n0", "N0", "selection samples (default " + d.n0() + ")"));
        o.addOption(Args.opt("alpha", "A", "failure probability (default " + d.alpha() + ")"));
        o.addOption(Args.opt("batch", "B", "noisy samples per model call (default " + d.batch() + ")"));
        o.addOption(Args.opt("seed", "S", "noise seed; image i uses seed + i (default 0)"));
        o.addOption(Args.opt("srs-steps", "S", "SRS: solver steps per warm-started batch (default " + d.srsSteps() + ")"));
        o.addOption(Args.opt("srs-recheck", "K", "SRS: samples re-checked with the standard solve (default " + d.srsRecheck() + ")"));
        o.addOption(Args.opt("srs-variant", "V", "SRS certificate: paper (default) | public-code (the authors' code's variant, larger radii)"));
        o.addOption(Args.opt("limit", "N", "certify at most N images (default 100 for an IDX set, all otherwise)"));
        o.addOption(Args.opt("offset", "K", "skip the first K images (default 0)"));
        o.addOption(Args.opt("labels", "CSV", "file,label lines for a folder or an image"));
        o.addOption(Args.opt("radii", "R,..", "radii of the certified-accuracy table (default 0,36/255,72/255,108/255,0.25,...,2)"));
        o.addOption(Args.opt("output", "DIR", "write certify.csv, certified_accuracy.csv, certified_accuracy.png and summary.json there"));
        o.addOption(Args.opt("resume", null, "with --output: keep the images already certified there with the same settings"));
        o.addOption(Args.opt("input-size", "C,H,W", "TorchScript: input shape, e.g. 1,28,28"));
        o.addOption(Args.opt("classes", "K", "TorchScript: number of classes"));
        o.addOption(Args.opt("mean", "M,..", "TorchScript: per-channel mean subtracted after the noise (default none)"));
        o.addOption(Args.opt("std", "S,..", "TorchScript: per-channel std divided by after the noise (default none)"));
        o.addOption(Args.opt("device", "D", "auto | cpu | gpu (default auto)"));
        return o;
    }

    @Override
    public int run(CommandLine l) throws Exception {
        String modelArg = l.getOptionValue("model");
        Certifier.Settings s;
        try {
            Certifier.Method method = Certifier.Method.parse(l.getOptionValue("method", "rs"));
            Certifier.Settings d = Certifier.Settings.defaults(method);
            SrsCertificate.Variant variant = switch (l.getOptionValue("srs-variant", "paper").toLowerCase(Locale.ROOT)) {
                case "paper" -> SrsCertificate.Variant.PAPER;
                case "public-code" -> SrsCertificate.Variant.PUBLIC_CODE;
                default -> throw new UsageException("--srs-variant must be paper or public-code");
            };
            int n = Args.integer(l, "n", d.n());
            s = new Certifier.Settings(method, Args.dbl(l, "sigma", d.sigma()), Args.integer(l, "n0", d.n0()), n,
                    Args.dbl(l, "alpha", d.alpha()), Args.integer(l, "batch", d.batch()), Args.lng(l, "seed", 0),
                    Args.integer(l, "srs-steps", d.srsSteps()), Args.integer(l, "srs-recheck", Math.min(d.srsRecheck(), n)), variant);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        for (String opt : List.of("sigma", "n", "n0", "alpha", "batch", "srs-steps", "srs-recheck", "srs-variant")) {
            if (s.method() == Certifier.Method.LIPSCHITZ && l.hasOption(opt)) throw new UsageException("--" + opt + " has no meaning with --method lipschitz");
            if (s.method() == Certifier.Method.RS && opt.startsWith("srs") && l.hasOption(opt)) throw new UsageException("--" + opt + " needs --method srs");
        }
        LoadedClassifier.TorchScriptSpec spec = null;
        if (LoadedClassifier.isTorchScript(modelArg)) {
            if (!l.hasOption("input-size") || !l.hasOption("classes")) throw new UsageException("a TorchScript model needs --input-size C,H,W and --classes K");
            try {
                spec = LoadedClassifier.TorchScriptSpec.parse(Args.integer(l, "classes", 0), l.getOptionValue("input-size"),
                        l.getOptionValue("mean", ""), l.getOptionValue("std", ""));
            } catch (LoadedClassifier.TorchScriptSpec.Invalid e) {
                throw new UsageException("--" + e.field().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ": " + e.getMessage());
            }
        } else {
            for (String opt : List.of("input-size", "classes", "mean", "std")) {
                if (l.hasOption(opt)) throw new UsageException("--" + opt + " is for TorchScript models; project models carry their input size in their card");
            }
        }
        double[] radii = l.hasOption("radii") ? radii(l.getOptionValue("radii")) : DEFAULT_RADII;
        Path output = Args.path(l, "output");
        if (l.hasOption("resume") && output == null) throw new UsageException("--resume needs --output DIR");
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        try (LoadedClassifier model = LoadedClassifier.load(modelArg, spec, device)) {
            String why = model.certifier().unsupported(s.method());
            if (why != null) throw new UsageException(why);
            Path input = Args.path(l, "input");
            int limit = Args.integer(l, "limit", LabelledImages.isIdx(input) ? 100 : 0);
            int offset = Args.integer(l, "offset", 0);
            LabelledImages set = LabelledImages.read(input, model.classifier().inputShape(), Args.path(l, "labels"), offset, limit);
            System.out.println("equilibria: certifying " + set.count() + " image(s) from " + input + " with " + model.description());
            System.out.println("equilibria: " + describe(s, model.certifier()));
            Map<String, Object> settings = settingsMap(s, model);
            List<Certifier.Outcome> outcomes = new ArrayList<>();
            List<Map<String, Object>> rows = new ArrayList<>();
            long t0 = System.nanoTime();
            int skipped = 0;
            try (Journal journal = output == null ? null : journal(output, l.hasOption("resume"), settings)) {
                for (int i = 0; i < set.count(); i++) {
                    String id = set.ids().get(i);
                    Map<String, Object> row = journal == null ? null : journal.finished(id);
                    boolean resumed = row != null;
                    Certifier.Outcome o;
                    if (resumed) {
                        o = fromRow(row);
                        skipped++;
                    } else {
                        o = model.certifier().certify(set.images()[i], i + offset, s);
                        row = row(id, set.labels()[i], o);
                        if (journal != null) journal.append(row);
                    }
                    outcomes.add(o);
                    rows.add(row);
                    System.out.printf(Locale.ROOT, "[%d/%d] %s: %s%s%s%n", i + 1, set.count(), id,
                            o.abstained() ? "abstain" : "class " + o.label(), set.labels()[i] >= 0 ? " (true " + set.labels()[i] + ")" : "",
                            o.abstained() ? "" : String.format(Locale.ROOT, ", radius %.4f", o.radius())
                                    + String.format(Locale.ROOT, ", %.2f s%s", o.seconds(), resumed ? " (resumed)" : ""));
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", model.description());
            summary.put("settings", settings);
            summary.put("images", set.count());
            summary.put("resumed", skipped);
            summary.put("seconds", seconds);
            int abst = 0;
            for (Certifier.Outcome o : outcomes) if (o.abstained()) abst++;
            summary.put("abstained", abst);
            if (set.labelled()) {
                double[] acc = CertifiedAccuracy.at(outcomes, set.labels(), radii);
                Map<String, Object> table = new LinkedHashMap<>();
                System.out.println("radius  certified accuracy");
                for (int k = 0; k < radii.length; k++) {
                    table.put(String.format(Locale.ROOT, "%.4f", radii[k]), acc[k]);
                    System.out.printf(Locale.ROOT, "%.4f  %.3f%n", radii[k], acc[k]);
                }
                summary.put("certifiedAccuracy", table);
                int correct = 0;
                for (int i = 0; i < outcomes.size(); i++) if (outcomes.get(i).label() == set.labels()[i]) correct++;
                summary.put("accuracy", correct / (double) outcomes.size());
            }
            if (output != null) write(output, rows, outcomes, set, radii, summary, s, model);
            System.out.printf(Locale.ROOT, "equilibria: %d image(s) in %.1f s, %d abstained%s%n", set.count(), seconds, abst,
                    output == null ? "" : "; wrote " + output.resolve("certify.csv") + (set.labelled() ? ", certified_accuracy.csv/.png" : "") + ", summary.json");
        }
        return ExitCodes.OK;
    }

    static String describe(Certifier.Settings s, Certifier c) {
        return switch (s.method()) {
            case RS -> String.format(Locale.ROOT, "randomized smoothing (Cohen et al.): sigma %.3g, n0 %d, n %d, alpha %.3g, batch %d, seed %d",
                    s.sigma(), s.n0(), s.n(), s.alpha(), s.batch(), s.seed());
            case SRS -> String.format(Locale.ROOT, "serialized randomized smoothing: sigma %.3g, n0 %d, n %d, alpha %.3g, batch %d, S = %d steps, K = %d re-checked, %s certificate, seed %d",
                    s.sigma(), s.n0(), s.n(), s.alpha(), s.batch(), s.srsSteps(), s.srsRecheck(),
                    s.variant() == SrsCertificate.Variant.PAPER ? "paper's" : "public code's (labelled variant)", s.seed());
            case LIPSCHITZ -> String.format(Locale.ROOT, "Lipschitz margin certificate: radius = margin / (sqrt(2) L), L = %.6g (%s)", c.lipschitzBound(),
                    c.classifier() instanceof io.equilibria.classify.ConvEquilibriumClassifier
                            ? "conv LBEN, float32 FB+Anderson solve to relative residual 1e-6" : "float64 LBEN solve to 1e-12");
        };
    }

    private static Map<String, Object> settingsMap(Certifier.Settings s, LoadedClassifier m) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", m.description());
        r.put("method", s.method().label());
        if (s.method() != Certifier.Method.LIPSCHITZ) {
            r.put("sigma", s.sigma());
            r.put("n0", s.n0());
            r.put("n", s.n());
            r.put("alpha", s.alpha());
            r.put("seed", s.seed());
        } else {
            r.put("lipschitzBound", m.certifier().lipschitzBound());
        }
        if (s.method() == Certifier.Method.SRS) {
            r.put("srsSteps", s.srsSteps());
            r.put("srsRecheck", s.srsRecheck());
            r.put("srsVariant", s.variant().name());
        }
        return r;
    }

    private static Map<String, Object> row(String id, int label, Certifier.Outcome o) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("image", id);
        r.put("label", label >= 0 ? label : "");
        r.put("predicted", o.abstained() ? "abstain" : o.label());
        r.put("radius", o.radius());
        r.put("correct", label >= 0 ? (o.label() == label ? 1 : 0) : "");
        r.put("seconds", o.seconds());
        r.putAll(o.details());
        return r;
    }

    private static Certifier.Outcome fromRow(Map<String, Object> r) {
        Object p = r.get("predicted");
        int label = "abstain".equals(p) ? RandomizedSmoothing.ABSTAIN : ((Number) p).intValue();
        return new Certifier.Outcome(label, ((Number) r.get("radius")).doubleValue(), ((Number) r.get("seconds")).doubleValue(), Map.of());
    }

    /**
     * The run's journal in {@code output} ({@link Journal}, rows keyed by image, the settings as header): a fresh one
     * unless {@code resume}, and then only one made with the same settings.
     */
    private static Journal journal(Path output, boolean resume, Map<String, Object> settings) throws IOException {
        Files.createDirectories(output);
        Journal journal = new Journal(output.resolve(".equilibria-certify.jsonl"), "image");
        if (!resume) journal.reset();
        journal.load();
        Object prev = journal.header() == null ? null : journal.header().get("settings");
        if (prev != null && !JSON.writeValueAsString(prev).equals(JSON.writeValueAsString(JSON.readValue(JSON.writeValueAsString(settings), Map.class)))) {
            throw new UsageException("--resume: " + journal.file() + " was made with other settings (" + JSON.writeValueAsString(prev)
                    + "); use another --output or drop --resume");
        }
        if (!journal.exists()) journal.append(Map.of("settings", settings));
        return journal;
    }

    private static void write(Path out, List<Map<String, Object>> rows, List<Certifier.Outcome> outcomes, LabelledImages set,
                              double[] radii, Map<String, Object> summary, Certifier.Settings s, LoadedClassifier model) throws IOException {
        AtomicFiles.writeString(out.resolve("certify.csv"), csv(rows));
        if (set.labelled()) {
            double[] acc = CertifiedAccuracy.at(outcomes, set.labels(), radii);
            List<Map<String, Object>> table = new ArrayList<>();
            for (int k = 0; k < radii.length; k++) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("radius", radii[k]);
                r.put("certified_accuracy", acc[k]);
                table.add(r);
            }
            AtomicFiles.writeString(out.resolve("certified_accuracy.csv"), csv(table));
            double[] g = CertifiedAccuracy.grid(outcomes, 400);
            new Charts.Plot("Certified accuracy: " + model.name() + ", " + s.method().label()
                    + (s.method() == Certifier.Method.LIPSCHITZ ? "" : String.format(Locale.ROOT, ", sigma %.2f, n %d", s.sigma(), s.n()))
                    + " (" + set.count() + " images)", "L2 radius", "certified accuracy")
                    .add(Charts.Series.line(s.method().label(), g, CertifiedAccuracy.at(outcomes, set.labels(), g)))
                    .writePng(out.resolve("certified_accuracy.png"));
        }
        AtomicFiles.writeString(out.resolve("summary.json"), Json.text(summary) + "\n");
    }

    static String csv(List<Map<String, Object>> rows) throws IOException {
        List<String> header = new ArrayList<>();
        for (Map<String, Object> r : rows) for (String k : r.keySet()) if (!header.contains(k)) header.add(k);
        StringWriter sw = new StringWriter();
        try (CSVPrinter p = new CSVPrinter(sw, CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new)).build())) {
            for (Map<String, Object> r : rows) {
                List<Object> v = new ArrayList<>();
                for (String h : header) v.add(r.getOrDefault(h, ""));
                p.printRecord(v);
            }
        }
        return sw.toString();
    }

    static double[] radii(String v) {
        try {
            double[] r = Arrays.stream(v.split(",")).map(String::trim).filter(t -> !t.isEmpty()).mapToDouble(CertifyCommand::number).toArray();
            for (double x : r) if (!(x >= 0)) throw new UsageException("--radii must be >= 0");
            return r;
        } catch (NumberFormatException e) {
            throw new UsageException("--radii must be numbers or fractions like 36/255, got '" + v + "'");
        }
    }

    private static double number(String t) {
        int slash = t.indexOf('/');
        return slash < 0 ? Double.parseDouble(t) : Double.parseDouble(t.substring(0, slash)) / Double.parseDouble(t.substring(slash + 1));
    }
}
