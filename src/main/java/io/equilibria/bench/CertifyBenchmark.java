package io.equilibria.bench;

import io.equilibria.certify.CertifiedAccuracy;
import io.equilibria.certify.Certifier;
import io.equilibria.certify.load.LoadedClassifier;
import io.equilibria.certify.SerialClassifier;
import io.equilibria.certify.SerializedSmoothing;
import io.equilibria.certify.SrsCertificate;
import io.equilibria.certify.data.LabelledImages;
import io.equilibria.certify.lipschitz.Certificates;
import io.equilibria.certify.lipschitz.Lben;
import io.equilibria.report.Charts;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The certification benchmark of the issue, in one run: (1) standard randomized smoothing against SRS with S = 1, 2, 3
 * warm-started steps on the same DEQ classifier, same σ, N and noise seeds — time per image, speed-up, certified accuracy
 * at each radius and its drop in points (the paper's certificate and the public code's variant, from the same counts);
 * (2) the Lipschitz certificate of an LBEN at given ε, with the largest local Lipschitz constant found (Jacobian norm at
 * the first 500 test images, noisy copies of them and hill-climbed points, plus pair ratios) against the bound; (3) the LBEN inequality for every model.
 */
public final class CertifyBenchmark {
    private CertifyBenchmark() {}

    public record Config(Path input, int count, double sigma, int n0, int n, double alpha, int batch, long seed, int[] srsSteps,
                         int recheck, double[] radii, double[] epsilons, int searchSteps) {}

    public record Row(String method, double secondsPerImage, double speedup, double[] accuracy, double worstDrop, List<Certifier.Outcome> outcomes) {}

    public static Map<String, Object> smoothing(LoadedClassifier deq, Config c, PrintStream out, Path plot) {
        int[] chw = deq.classifier().inputShape();
        LabelledImages set = LabelledImages.read(c.input(), chw, null, 0, c.count());
        if (!set.labelled()) throw new IllegalArgumentException("the benchmark needs labelled images");
        if (!(deq.classifier() instanceof SerialClassifier)) throw new IllegalArgumentException("SRS needs an equilibrium classifier");
        out.printf(Locale.ROOT, "== randomized smoothing vs SRS: %s, %d images, sigma %.3g, n0 %d, N %d, alpha %.3g, batch %d, K %d%n",
                deq.description(), set.count(), c.sigma(), c.n0(), c.n(), c.alpha(), c.batch(), c.recheck());
        Certifier certifier = deq.certifier();
        List<Row> rows = new ArrayList<>();
        Certifier.Settings rs = new Certifier.Settings(Certifier.Method.RS, c.sigma(), c.n0(), c.n(), c.alpha(), c.batch(), c.seed(), 1, 1,
                SrsCertificate.Variant.PAPER);
        // image by image, RS then SRS with each S, so that load changes on a shared machine hit every method alike
        List<Certifier.Outcome> base = new ArrayList<>();
        int ns = c.srsSteps().length;
        List<List<Certifier.Outcome>> paper = new ArrayList<>(), pub = new ArrayList<>();
        double[] srsSeconds = new double[ns];
        long[] agree = new long[ns], rechecked = new long[ns];
        for (int k = 0; k < ns; k++) {
            paper.add(new ArrayList<>());
            pub.add(new ArrayList<>());
        }
        double rsTotal = 0;
        double iterBefore = 0;
        for (int i = 0; i < set.count(); i++) {
            Certifier.Outcome o = certifier.certify(set.images()[i], i, rs);
            base.add(o);
            rsTotal += o.seconds();
            if (i == 0) iterBefore = meanIterations(deq.classifier());
            for (int k = 0; k < ns; k++) {
                SerializedSmoothing srs = new SerializedSmoothing((SerialClassifier) deq.classifier(), c.sigma());
                SerializedSmoothing.Certificate r = srs.certify(set.images()[i], c.n0(), c.n(), c.alpha(), c.batch(), c.seed() + i,
                        c.srsSteps()[k], c.recheck(), SrsCertificate.Variant.PAPER);
                srsSeconds[k] += r.seconds();
                agree[k] += r.agree();
                rechecked[k] += r.recheck();
                paper.get(k).add(new Certifier.Outcome(r.label(), r.radius(), r.seconds(), Map.of()));
                SrsCertificate.Result p = SrsCertificate.certify(r.selectedLabel(), r.nA(), r.n(), r.n1(), r.n2(), c.alpha(), c.sigma(),
                        SrsCertificate.Variant.PUBLIC_CODE);
                pub.get(k).add(new Certifier.Outcome(p.label(), p.radius(), r.seconds(), Map.of()));
            }
            if ((i + 1) % 10 == 0 || i + 1 == set.count()) {
                out.printf(Locale.ROOT, "  %d/%d images: RS %.3f s/image, SRS %s%n", i + 1, set.count(), rsTotal / (i + 1),
                        java.util.Arrays.toString(java.util.Arrays.stream(srsSeconds).map(t -> Math.round(1000 * t / set.count()) / 1000.0).toArray()));
            }
        }
        double rsSeconds = rsTotal / set.count();
        double[] baseAcc = CertifiedAccuracy.at(base, set.labels(), c.radii());
        rows.add(new Row(String.format(Locale.ROOT, "RS (standard DEQ, %.1f iterations/batch)", iterBefore), rsSeconds, 1, baseAcc, 0, base));
        out.printf(Locale.ROOT, "RS: %.3f s/image%n", rsSeconds);
        Map<String, Object> agreement = new LinkedHashMap<>();
        for (int k = 0; k < ns; k++) {
            int s = c.srsSteps()[k];
            double per = srsSeconds[k] / set.count();
            agreement.put("S=" + s, agree[k] / (double) rechecked[k]);
            for (var e : List.of(Map.entry("paper", paper.get(k)), Map.entry("public-code variant", pub.get(k)))) {
                double[] acc = CertifiedAccuracy.at(e.getValue(), set.labels(), c.radii());
                double worst = 0;
                for (int q = 0; q < acc.length; q++) worst = Math.max(worst, 100 * (baseAcc[q] - acc[q]));
                rows.add(new Row("SRS S=" + s + " (" + e.getKey() + ")", per, rsSeconds / per, acc, worst, e.getValue()));
            }
            out.printf(Locale.ROOT, "SRS S=%d: %.3f s/image (%.2fx), re-checked samples agreeing with the standard DEQ: %.4f%n", s, per,
                    rsSeconds / per, agree[k] / (double) rechecked[k]);
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-42s %9s %8s", "method", "s/image", "speed-up"));
        for (double r : c.radii()) head.append(String.format(Locale.ROOT, "  r=%.3f", r));
        head.append("  worst drop (points)");
        out.println(head);
        for (Row r : rows) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-42s %9.3f %7.2fx", r.method(), r.secondsPerImage(), r.speedup()));
            for (double a : r.accuracy()) b.append(String.format(Locale.ROOT, "  %7.1f", 100 * a));
            b.append(String.format(Locale.ROOT, "  %8.1f", r.worstDrop()));
            out.println(b);
        }
        if (plot != null) {
            Charts.Plot p = new Charts.Plot(String.format(Locale.ROOT, "RS vs SRS: %s, sigma %.2f, N %d, %d images", deq.name(), c.sigma(), c.n(), set.count()),
                    "L2 radius", "certified accuracy");
            double[] g = CertifiedAccuracy.grid(base, 300);
            for (Row r : rows) p.add(Charts.Series.line(r.method(), g, CertifiedAccuracy.at(r.outcomes(), set.labels(), g)));
            p.writePng(plot);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", deq.description());
        m.put("images", set.count());
        m.put("radii", c.radii());
        List<Map<String, Object>> table = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("method", r.method());
            t.put("secondsPerImage", r.secondsPerImage());
            t.put("speedup", r.speedup());
            t.put("certifiedAccuracy", r.accuracy());
            t.put("worstDropPoints", r.worstDrop());
            table.add(t);
        }
        m.put("table", table);
        m.put("recheckAgreement", agreement);
        return m;
    }

    public static Map<String, Object> lipschitz(LoadedClassifier lben, Lben model, Config c, PrintStream out) {
        return lipschitz(lben, model.gamma(), model::jacobianNorm, model::forward, model.inputDim(), c.searchSteps(), c, out);
    }

    /**
     * The same for a conv LBEN ({@link io.equilibria.classify.ConvEquilibriumClassifier}): Jacobian norms by power
     * iteration with implicit JVP/VJP solves (so fewer hill-climbing steps: a tenth of {@code searchSteps}).
     */
    public static Map<String, Object> lipschitz(LoadedClassifier lben, io.equilibria.classify.ConvEquilibriumClassifier conv, Config c, PrintStream out) {
        var net = conv.net();
        var ops = io.equilibria.compute.Autograd.noGrad(() -> net.operators(net.parameter("U").getManager(), conv.alpha()));
        java.util.function.ToDoubleFunction<double[]> jac = x -> {
            float[] f = new float[x.length];
            for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
            return net.jacobianNorm(ops, f, 8);
        };
        java.util.function.UnaryOperator<double[]> fwd = x -> {
            float[] f = new float[x.length];
            for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
            float[] l = conv.logits(new float[][] {f}, 1e-6, 3000)[0];
            double[] d = new double[l.length];
            for (int i = 0; i < l.length; i++) d[i] = l[i];
            return d;
        };
        return lipschitz(lben, net.config().gamma(), jac, fwd, net.config().inputDim(), Math.max(10, c.searchSteps() / 10), c, out);
    }

    private static Map<String, Object> lipschitz(LoadedClassifier lben, double gamma, java.util.function.ToDoubleFunction<double[]> jacobianNorm,
                                                 java.util.function.UnaryOperator<double[]> forward, int inputDim, int searchSteps, Config c, PrintStream out) {
        int[] chw = lben.classifier().inputShape();
        LabelledImages set = LabelledImages.read(c.input(), chw, null, 0, c.count());
        out.printf(Locale.ROOT, "== Lipschitz certificate: %s, %d images, bound L = %.6g%n", lben.description(), set.count(), gamma);
        Certifier.Settings s = Certifier.Settings.defaults(Certifier.Method.LIPSCHITZ);
        List<Certifier.Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < set.count(); i++) outcomes.add(lben.certifier().certify(set.images()[i], i, s));
        double[] acc = CertifiedAccuracy.at(outcomes, set.labels(), c.epsilons());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", lben.description());
        m.put("images", set.count());
        m.put("bound", gamma);
        m.put("accuracy", CertifiedAccuracy.at(outcomes, set.labels(), 0));
        Map<String, Object> cert = new LinkedHashMap<>();
        for (int k = 0; k < acc.length; k++) {
            cert.put(String.format(Locale.ROOT, "%.4f", c.epsilons()[k]), acc[k]);
            out.printf(Locale.ROOT, "certified accuracy at eps = %.4f (%.0f/255): %.1f%%%n", c.epsilons()[k], c.epsilons()[k] * 255, 100 * acc[k]);
        }
        m.put("certifiedAccuracy", cert);
        // empirical Lipschitz: Jacobian norms at test images, at noisy test images, then a hill climb from the best point
        SplittableRandom r = new SplittableRandom(c.seed());
        double best = 0;
        double[] bestX = null;
        int probes = Math.min(set.count(), 500); // each is a float64 solve plus an n×n factorisation
        for (int i = 0; i < probes; i++) {
            for (int rep = 0; rep < 2; rep++) {
                double[] x = new double[set.images()[i].length];
                for (int j = 0; j < x.length; j++) x[j] = set.images()[i][j] + (rep == 0 ? 0 : 0.3 * r.nextGaussian());
                double v = jacobianNorm.applyAsDouble(x);
                if (v > best) {
                    best = v;
                    bestX = x;
                }
            }
        }
        double step = 0.2;
        for (int t = 0; t < searchSteps && bestX != null; t++) {
            double[] x = bestX.clone();
            for (int j = 0; j < x.length; j++) x[j] += step * r.nextGaussian();
            double v = jacobianNorm.applyAsDouble(x);
            if (v > best) {
                best = v;
                bestX = x;
                step *= 1.3;
            } else {
                step = Math.max(1e-3, step * 0.95);
            }
        }
        double pairs = Certificates.empiricalLipschitz(forward, inputDim, 3, Math.max(10, searchSteps / 4), c.seed());
        m.put("empiricalJacobianNorm", best);
        m.put("empiricalPairRatio", pairs);
        m.put("empiricalOverBound", Math.max(best, pairs) / gamma);
        out.printf(Locale.ROOT, "empirical Lipschitz: largest Jacobian norm %.4f, largest pair ratio %.4f; bound %.4f; ratio to bound %.3f (must be <= 1)%n",
                best, pairs, gamma, Math.max(best, pairs) / gamma);
        return m;
    }

    private static double meanIterations(io.equilibria.certify.Classifier c) {
        return ((io.equilibria.certify.LogitClassifier) c).meanIterations();
    }
}
