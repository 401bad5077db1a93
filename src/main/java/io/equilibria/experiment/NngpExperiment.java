package io.equilibria.experiment;

import ai.djl.ndarray.NDManager;
import io.equilibria.gp.Activation;
import io.equilibria.gp.DeqKernel;
import io.equilibria.gp.GpClassifier;
import io.equilibria.gp.KernelError;
import io.equilibria.gp.WideDeqSimulation;
import io.equilibria.image.AtomicFiles;
import io.equilibria.report.Charts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code experiment nngp} (σ_w = 0.6, σ_u = 1, d = 10 as in Gao et al. 2023): (a) empirical kernels of random
 * finite-width DEQs against the limiting kernel K* for widths 2⁵ … 2¹² (tanh and ReLU), the per-network mean squared
 * relative error falling ∝ 1/width; (b) the smallest eigenvalue of K* on distinct inputs against σ_w; (c) GP
 * classification with K* against a finite MonDEQ trained on the same images ({@link GpComparison}). CSV, PNG, summary.
 */
public final class NngpExperiment {
    private NngpExperiment() {}

    public record Config(int minLog2Width, int maxLog2Width, int networks, Path data, int train, int test, int gpEpochs, long seed) {}

    static final int INPUTS = 6, DIM = 10;
    static final double SIGMA_W = 0.6, SIGMA_U = 1.0;

    public static Map<String, Object> run(NDManager m, Config c, Path out) throws java.io.IOException {
        Files.createDirectories(out);
        Map<String, Object> summary = new LinkedHashMap<>();
        Random r = new Random(c.seed());
        widths(m, c, inputs(r, INPUTS), out, summary);
        eigenvalues(inputs(r, 20), out, summary);
        classification(m, c, out, summary);
        return summary;
    }

    private static double[][] inputs(Random r, int n) {
        double[][] x = new double[n][DIM];
        for (double[] row : x) for (int t = 0; t < DIM; t++) row[t] = r.nextGaussian();
        return x;
    }

    /** (a) Per width and activation: the {@link KernelError} of {@code networks} random DEQs on the same inputs. */
    private static void widths(NDManager m, Config c, double[][] x, Path out, Map<String, Object> summary) {
        int nw = c.maxLog2Width() - c.minLog2Width() + 1;
        double[] widths = new double[nw];
        for (int k = 0; k < nw; k++) widths[k] = 1 << (c.minLog2Width() + k);
        StringBuilder csv = new StringBuilder("activation,width,networks,mean_sq_rel_error,std_error,bias_sq_estimate,bias_mc_noise,"
                + "bias_above_noise,max_rel_error_of_mean,seconds\n");
        Charts.Plot plot = new Charts.Plot("Random finite DEQs vs K* (sigma_w 0.6, " + c.networks() + " networks per width)", "width",
                "||K - K*||^2 / ||K*||^2, mean over networks").logX().logY();
        double[] tanhErrors = null;
        for (Activation a : new Activation[] {Activation.TANH, Activation.RELU}) {
            double[][] exact = new DeqKernel(a, SIGMA_W, SIGMA_U, 1e-12, 10_000).kernel(x);
            double[] errors = new double[nw];
            for (int k = 0; k < nw; k++) {
                long t0 = System.nanoTime();
                KernelError e = KernelError.of(WideDeqSimulation.kernels(m, a, SIGMA_W, SIGMA_U, x, (int) widths[k], c.networks(), c.seed() + k), exact);
                double seconds = (System.nanoTime() - t0) / 1e9;
                errors[k] = e.meanSquared();
                // the bias estimate fluctuates on the scale of its Monte-Carlo part: below twice that it is not resolved
                boolean resolved = e.bias() > 2 * e.biasNoise();
                csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.6e,%.3e,%.3e,%.3e,%b,%.4e,%.2f%n", name(a), (int) widths[k], c.networks(),
                        e.meanSquared(), e.standardError(), e.bias(), e.biasNoise(), resolved, e.maxOfMean(), seconds));
                System.out.printf(Locale.ROOT, "(a) %s width %5d: mean sq rel error %.3e +- %.1e, bias^2 %.1e (MC part %.1e), max error of mean %.3e, %.1f s%n",
                        name(a), (int) widths[k], e.meanSquared(), e.standardError(), e.bias(), e.biasNoise(), e.maxOfMean(), seconds);
            }
            double slope = logLogSlope(widths, errors);
            summary.put("a_" + name(a) + "_logLogSlope", slope);
            summary.put("a_" + name(a) + "_meanSqRelError", errors);
            System.out.printf(Locale.ROOT, "(a) %s: log-log slope of the mean squared error against width %.3f (1/width: -1)%n", name(a), slope);
            plot.add(Charts.Series.points(name(a) + String.format(Locale.ROOT, " (slope %.2f)", slope), widths, errors));
            if (a == Activation.TANH) tanhErrors = errors;
        }
        // 1/width through the geometric mean of the tanh points
        double logC = 0;
        for (int k = 0; k < nw; k++) logC += Math.log(tanhErrors[k] * widths[k]) / nw;
        double[] ref = new double[nw];
        for (int k = 0; k < nw; k++) ref[k] = Math.exp(logC) / widths[k];
        plot.add(Charts.Series.line("c / width", widths, ref));
        summary.put("a_inputs", INPUTS + " Gaussian inputs of dimension " + DIM);
        AtomicFiles.writeString(out.resolve("nngp_width.csv"), csv.toString());
        plot.writePng(out.resolve("nngp_width.png"));
    }

    /** Least-squares slope of log y against log x. */
    static double logLogSlope(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int k = 0; k < n; k++) {
            mx += Math.log(x[k]) / n;
            my += Math.log(y[k]) / n;
        }
        double sxy = 0, sxx = 0;
        for (int k = 0; k < n; k++) {
            sxy += (Math.log(x[k]) - mx) * (Math.log(y[k]) - my);
            sxx += (Math.log(x[k]) - mx) * (Math.log(x[k]) - mx);
        }
        return sxy / sxx;
    }

    /** (b) λ_min(K*) on 20 distinct inputs for each activation across σ_w. */
    private static void eigenvalues(double[][] x, Path out, Map<String, Object> summary) {
        double[] sws = {0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.3};
        StringBuilder csv = new StringBuilder("sigma_w");
        for (Activation a : Activation.values()) csv.append(',').append(name(a));
        csv.append('\n');
        Charts.Plot plot = new Charts.Plot("Smallest eigenvalue of K* on " + x.length + " distinct inputs in R^" + DIM + " (K0 = XX^T/d is singular)",
                "sigma_w", "lambda_min").logY();
        double[][] mins = new double[Activation.values().length][sws.length];
        for (int s = 0; s < sws.length; s++) {
            csv.append(sws[s]);
            for (Activation a : Activation.values()) {
                double v = GpClassifier.smallestEigenvalue(new DeqKernel(a, sws[s], SIGMA_U, 1e-10, 100_000).kernel(x));
                mins[a.ordinal()][s] = v;
                csv.append(',').append(v);
            }
            csv.append('\n');
        }
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (Activation a : Activation.values()) {
            plot.add(Charts.Series.points(name(a), sws, mins[a.ordinal()]));
            for (double v : mins[a.ordinal()]) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        AtomicFiles.writeString(out.resolve("nngp_min_eigenvalue.csv"), csv.toString());
        plot.writePng(out.resolve("nngp_min_eigenvalue.png"));
        summary.put("b_smallestEigenvalue", lo);
        summary.put("b_largestSmallestEigenvalue", hi);
        System.out.printf(Locale.ROOT, "(b) smallest eigenvalue over sigma_w and activations: %.3e ... %.3e%n", lo, hi);
    }

    /** (c) GP against the finite MonDEQ on the same split, and the shipped model for context. */
    private static void classification(NDManager m, Config c, Path out, Map<String, Object> summary) {
        GpSplit split = GpSplit.load(c.data(), c.train(), c.test());
        GpComparison.Result g = GpComparison.run(m, split, c.gpEpochs(), c.seed());
        String gpName = String.format(Locale.ROOT, "GP (sigma_w %.1f, noise %.0e)", g.sigmaW(), g.noise());
        String paperName = String.format(Locale.ROOT, "GP (sigma_w %.1f, noise %.0e)", GpComparison.PAPER_SIGMA_W, GpComparison.PAPER_NOISE);
        String deqName = "MonDEQ, same " + g.train() + " images";
        String shippedName = GpComparison.SHIPPED + ", 60000 images";
        StringBuilder csv = new StringBuilder("model,train,test,accuracy,seconds,note\n");
        csv.append(String.format(Locale.ROOT, "gp_validated,%d,%d,%.4f,%.1f,sigma_w %.1f noise %.0e chosen on the training split (validation accuracy %.3f)%n",
                g.train(), g.test(), g.gp(), g.gpSeconds(), g.sigmaW(), g.noise(), g.validation()));
        csv.append(String.format(Locale.ROOT, "gp_paper_settings,%d,%d,%.4f,,sigma_w %.1f noise %.0e fixed%n", g.train(), g.test(), g.gpPaper(),
                GpComparison.PAPER_SIGMA_W, GpComparison.PAPER_NOISE));
        csv.append(String.format(Locale.ROOT, "mondeq_same_subset,%d,%d,%.4f,%.1f,256 units; Adam lr 1e-3; %d epochs; no noise augmentation%n",
                g.train(), g.test(), g.deq(), g.deqSeconds(), g.deqEpochs()));
        csv.append(String.format(Locale.ROOT, "mondeq_shipped,60000,%d,%.4f,,%s%n", g.test(), g.shipped(), g.shippedNote()));
        AtomicFiles.writeString(out.resolve("nngp_classification.csv"), csv.toString());
        List<String> names = new ArrayList<>(List.of(gpName, paperName, deqName));
        List<Double> accs = new ArrayList<>(List.of(g.gp(), g.gpPaper(), g.deq()));
        if (!Double.isNaN(g.shipped())) {
            names.add(shippedName);
            accs.add(g.shipped());
        }
        Charts.writeBars(out.resolve("nngp_classification.png"), "Test accuracy on " + g.test() + " images (GP and MonDEQ trained on the same " + g.train() + ")",
                "test accuracy", names, accs, 1.0);
        summary.put("c_split", split.source());
        summary.put("c_train", g.train());
        summary.put("c_test", g.test());
        summary.put("c_gpSigmaW", g.sigmaW());
        summary.put("c_gpNoise", g.noise());
        summary.put("c_gpValidationAccuracy", g.validation());
        summary.put("c_gpAccuracy", g.gp());
        summary.put("c_gpPaperSettingsAccuracy", g.gpPaper());
        summary.put("c_gpSeconds", g.gpSeconds());
        summary.put("c_mondeqSameSubsetAccuracy", g.deq());
        summary.put("c_mondeqEpochs", g.deqEpochs());
        summary.put("c_mondeqSeconds", g.deqSeconds());
        summary.put("c_shippedAccuracy", g.shipped());
        summary.put("c_shippedNote", g.shippedNote());
    }

    private static String name(Activation a) {
        return a.name().toLowerCase(Locale.ROOT);
    }
}
