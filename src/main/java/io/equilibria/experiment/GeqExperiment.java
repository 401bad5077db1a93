package io.equilibria.experiment;

import ai.djl.Device;
import io.equilibria.certify.CertifiedAccuracy;
import io.equilibria.certify.Classifier;
import io.equilibria.certify.Certifier;
import io.equilibria.certify.load.LoadedClassifier;
import io.equilibria.certify.LogitClassifier;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.image.AtomicFiles;
import io.equilibria.train.ClassifierTrainer;
import io.equilibria.report.Charts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code experiment geq}: compares equilibrium classifiers (GEQ, its linear-kernel counterpart, a MonDEQ of matched
 * size — any project classifier that exposes logits) on one labelled IDX set: clean accuracy and forward-solver
 * iterations; stability as the mean relative change of the logits ‖f(x+δ) − f(x)‖/‖f(x)‖, the fraction of changed
 * predictions and the accuracy under Gaussian noise δ ~ N(0, σ²I) for several σ; and randomized-smoothing certified
 * accuracy (the {@code certify} command's RS certificate) at a few radii.
 */
public final class GeqExperiment {
    private GeqExperiment() {}

    public record Config(List<String> models, Path images, Path labels, int count, double[] sigmas, double rsSigma, int rsN,
                         int rsCount, double[] radii, long seed) {}

    /** One model's measurements. */
    public record Row(String model, String description, double accuracy, double meanIterations, double secondsPerImage,
                      double[] relativeChange, double[] flipRate, double[] noisyAccuracy, double[] certified) {}

    public static Map<String, Object> run(Config c, Device device, Path out) throws IOException {
        Files.createDirectories(out);
        IdxDataset set = IdxDataset.read(c.images(), c.labels(), c.count());
        List<Row> rows = new ArrayList<>();
        for (String name : c.models()) {
            try (LoadedClassifier lc = LoadedClassifier.load(name, null, device)) {
                if (!(lc.classifier() instanceof LogitClassifier f)) throw new IllegalArgumentException(name + " does not expose logits: " + lc.description());
                System.out.println("model: " + lc.description());
                rows.add(measure(lc, f, set, c));
                Row r = rows.get(rows.size() - 1);
                System.out.printf(Locale.ROOT, "  accuracy %.4f, %.1f solver iterations per batch, %.2f ms/image; relative logit change %s; certified %s%n",
                        r.accuracy(), r.meanIterations(), 1e3 * r.secondsPerImage(), fmt(r.relativeChange()), fmt(r.certified()));
            }
        }
        write(rows, c, out);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("images", set.count());
        for (Row r : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("description", r.description());
            m.put("accuracy", r.accuracy());
            m.put("meanIterations", r.meanIterations());
            m.put("msPerImage", 1e3 * r.secondsPerImage());
            Map<String, Object> st = new LinkedHashMap<>();
            for (int i = 0; i < c.sigmas().length; i++) {
                st.put("sigma=" + c.sigmas()[i], Map.of("relativeLogitChange", r.relativeChange()[i], "changedPredictions", r.flipRate()[i],
                        "noisyAccuracy", r.noisyAccuracy()[i]));
            }
            m.put("stability", st);
            Map<String, Object> ca = new LinkedHashMap<>();
            for (int i = 0; i < c.radii().length; i++) ca.put("r=" + c.radii()[i], r.certified()[i]);
            m.put("rsCertifiedAccuracy", ca);
            summary.put(r.model(), m);
        }
        return summary;
    }

    private static Row measure(LoadedClassifier lc, LogitClassifier f, IdxDataset set, Config c) {
        int n = set.count(), bs = 500;
        float[][] clean = new float[n][];
        long t0 = System.nanoTime();
        for (int s = 0; s < n; s += bs) {
            float[][] l = f.logits(slice(set.images(), s, Math.min(bs, n - s)));
            System.arraycopy(l, 0, clean, s, l.length);
        }
        double seconds = (System.nanoTime() - t0) / 1e9 / n;
        double iterations = f.meanIterations();
        int[] labels = set.labels();
        int[] cleanLabels = Classifier.labels(clean);
        double accuracy = ClassifierTrainer.accuracy(cleanLabels, labels);
        int k = c.sigmas().length;
        double[] change = new double[k], flips = new double[k], noisyAcc = new double[k];
        for (int j = 0; j < k; j++) {
            SplittableRandom r = new SplittableRandom(c.seed() + j);
            double sumChange = 0;
            int flipped = 0, correct = 0;
            for (int s = 0; s < n; s += bs) {
                float[][] batch = slice(set.images(), s, Math.min(bs, n - s));
                for (int i = 0; i < batch.length; i++) {
                    float[] x = batch[i].clone();
                    for (int t = 0; t < x.length; t++) x[t] += (float) (c.sigmas()[j] * r.nextGaussian());
                    batch[i] = x;
                }
                float[][] l = f.logits(batch);
                int[] noisy = Classifier.labels(l);
                for (int i = 0; i < l.length; i++) {
                    sumChange += distance(l[i], clean[s + i]) / norm(clean[s + i]);
                    if (noisy[i] != cleanLabels[s + i]) flipped++;
                    if (noisy[i] == labels[s + i]) correct++;
                }
            }
            change[j] = sumChange / n;
            flips[j] = flipped / (double) n;
            noisyAcc[j] = correct / (double) n;
        }
        Certifier.Settings rs = new Certifier.Settings(Certifier.Method.RS, c.rsSigma(), 100, c.rsN(), 0.001, 500, c.seed(), 1, 1,
                io.equilibria.certify.SrsCertificate.Variant.PAPER);
        int m = Math.min(c.rsCount(), n);
        List<Certifier.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < m; i++) outcomes.add(lc.certifier().certify(set.images()[i], i, rs));
        double[] certified = CertifiedAccuracy.at(outcomes, java.util.Arrays.copyOf(labels, m), c.radii());
        return new Row(lc.name(), lc.description(), accuracy, iterations, seconds, change, flips, noisyAcc, certified);
    }

    private static void write(List<Row> rows, Config c, Path out) throws IOException {
        StringBuilder models = new StringBuilder("model,accuracy,mean_solver_iterations,ms_per_image,description\n");
        StringBuilder stab = new StringBuilder("model,sigma,relative_logit_change,changed_predictions,noisy_accuracy\n");
        StringBuilder cert = new StringBuilder("model,radius,rs_certified_accuracy\n");
        Charts.Plot ps = new Charts.Plot("Output change under Gaussian noise (" + rows.size() + " models)", "noise sigma", "mean ||f(x+d) - f(x)|| / ||f(x)||");
        Charts.Plot pc = new Charts.Plot(String.format(Locale.ROOT, "RS certified accuracy (sigma %.2f, N %d, %d images)", c.rsSigma(), c.rsN(),
                Math.min(c.rsCount(), c.count() > 0 ? c.count() : Integer.MAX_VALUE)), "L2 radius", "certified accuracy");
        for (Row r : rows) {
            models.append(String.format(Locale.ROOT, "%s,%.4f,%.2f,%.3f,\"%s\"%n", r.model(), r.accuracy(), r.meanIterations(), 1e3 * r.secondsPerImage(),
                    r.description().replace("\"", "'")));
            for (int j = 0; j < c.sigmas().length; j++) {
                stab.append(String.format(Locale.ROOT, "%s,%s,%.5f,%.4f,%.4f%n", r.model(), c.sigmas()[j], r.relativeChange()[j], r.flipRate()[j], r.noisyAccuracy()[j]));
            }
            for (int j = 0; j < c.radii().length; j++) cert.append(String.format(Locale.ROOT, "%s,%s,%.4f%n", r.model(), c.radii()[j], r.certified()[j]));
            ps.add(Charts.Series.points(r.model(), c.sigmas(), r.relativeChange()));
            pc.add(Charts.Series.points(r.model(), c.radii(), r.certified()));
        }
        AtomicFiles.writeString(out.resolve("geq_models.csv"), models.toString());
        AtomicFiles.writeString(out.resolve("geq_stability.csv"), stab.toString());
        AtomicFiles.writeString(out.resolve("geq_certified.csv"), cert.toString());
        ps.writePng(out.resolve("geq_stability.png"));
        pc.writePng(out.resolve("geq_certified.png"));
    }

    private static float[][] slice(float[][] all, int from, int count) {
        float[][] b = new float[count][];
        System.arraycopy(all, from, b, 0, count);
        return b;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) s += (double) f * f;
        return Math.sqrt(s);
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s);
    }

    private static String fmt(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (double d : v) b.append(b.length() > 1 ? ", " : "").append(String.format(Locale.ROOT, "%.4f", d));
        return b.append(']').toString();
    }
}
