package io.equilibria.experiment;

import ai.djl.ndarray.NDManager;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.gp.Activation;
import io.equilibria.gp.DeqKernel;
import io.equilibria.gp.GpClassifier;
import io.equilibria.gp.WideDeqSimulation;
import io.equilibria.image.AtomicFiles;
import io.equilibria.report.Charts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code experiment nngp}: (a) the empirical kernel of random finite-width DEQs against the limiting kernel K* for widths
 * 2⁵ … 2¹² (σ_w = 0.6, σ_u = 1, d = 10, tanh); (b) the smallest eigenvalue of K* on distinct inputs against σ_w;
 * (c) GP classification with K* (ReLU) on a labelled IDX subset. CSV tables, PNG plots, a summary map.
 */
public final class NngpExperiment {
    private NngpExperiment() {}

    public record Config(int minLog2Width, int maxLog2Width, int networks, Path data, int train, int test, long seed) {}

    public static Map<String, Object> run(NDManager m, Config c, Path out) throws java.io.IOException {
        Files.createDirectories(out);
        Map<String, Object> summary = new LinkedHashMap<>();
        Random r = new Random(c.seed());
        double[][] x = new double[4][10];
        for (double[] row : x) for (int t = 0; t < 10; t++) row[t] = r.nextGaussian();
        double[][] exact = new DeqKernel(Activation.TANH, 0.6, 1.0, 1e-12, 10_000).kernel(x);
        int nw = c.maxLog2Width() - c.minLog2Width() + 1;
        double[] widths = new double[nw], errors = new double[nw], ref = new double[nw];
        StringBuilder csv = new StringBuilder("width,relative_error\n");
        for (int k = 0; k < nw; k++) {
            int w = 1 << (c.minLog2Width() + k);
            widths[k] = w;
            errors[k] = WideDeqSimulation.relativeError(WideDeqSimulation.empiricalKernel(m, Activation.TANH, 0.6, 1.0, x, w, c.networks(), c.seed() + k), exact);
            csv.append(w).append(',').append(errors[k]).append('\n');
            System.out.printf(Locale.ROOT, "(a) width %5d: relative error %.4e%n", w, errors[k]);
        }
        for (int k = 0; k < nw; k++) ref[k] = errors[0] * widths[0] / widths[k];
        // slope of log error against log width, least squares
        double mx = 0, my = 0;
        for (int k = 0; k < nw; k++) { mx += Math.log(widths[k]); my += Math.log(errors[k]); }
        mx /= nw; my /= nw;
        double sxy = 0, sxx = 0;
        for (int k = 0; k < nw; k++) { sxy += (Math.log(widths[k]) - mx) * (Math.log(errors[k]) - my); sxx += Math.pow(Math.log(widths[k]) - mx, 2); }
        summary.put("a_logLogSlope", sxy / sxx);
        AtomicFiles.writeString(out.resolve("nngp_width.csv"), csv.toString());
        new Charts.Plot("Random DEQs vs limiting kernel (tanh, sigma_w 0.6, " + c.networks() + " networks per width)", "width", "relative max error")
                .logX().logY().add(Charts.Series.points("empirical", widths, errors)).add(Charts.Series.line("1/width", widths, ref))
                .writePng(out.resolve("nngp_width.png"));
        // (b)
        double[][] xb = new double[20][10];
        for (double[] row : xb) for (int t = 0; t < 10; t++) row[t] = r.nextGaussian();
        double[] sws = {0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.3};
        StringBuilder csvb = new StringBuilder("sigma_w,relu,tanh,erf\n");
        Charts.Plot pb = new Charts.Plot("Smallest eigenvalue of K* (20 distinct inputs)", "sigma_w", "lambda_min").logY();
        double[][] mins = new double[3][sws.length];
        for (int s = 0; s < sws.length; s++) {
            csvb.append(sws[s]);
            for (Activation a : Activation.values()) {
                double v = GpClassifier.smallestEigenvalue(new DeqKernel(a, sws[s], 1.0, 1e-10, 100_000).kernel(xb));
                mins[a.ordinal()][s] = v;
                csvb.append(',').append(v);
            }
            csvb.append('\n');
        }
        for (Activation a : Activation.values()) pb.add(Charts.Series.points(a.name().toLowerCase(Locale.ROOT), sws, mins[a.ordinal()]));
        AtomicFiles.writeString(out.resolve("nngp_min_eigenvalue.csv"), csvb.toString());
        pb.writePng(out.resolve("nngp_min_eigenvalue.png"));
        double minAll = Double.POSITIVE_INFINITY;
        for (double[] row : mins) for (double v : row) minAll = Math.min(minAll, v);
        summary.put("b_smallestEigenvalue", minAll);
        System.out.printf(Locale.ROOT, "(b) smallest eigenvalue over sigma_w and activations: %.3e%n", minAll);
        // (c)
        Path images = c.data().resolve("t10k-images-idx3-ubyte.gz"), labels = c.data().resolve("t10k-labels-idx1-ubyte.gz");
        IdxDataset d = IdxDataset.read(images, labels, c.train() + c.test());
        double[][] xs = new double[d.count()][];
        for (int i = 0; i < d.count(); i++) {
            xs[i] = new double[d.images()[i].length];
            for (int t = 0; t < xs[i].length; t++) xs[i][t] = d.images()[i][t];
        }
        double[][] k = new DeqKernel(Activation.RELU, 0.6, 1.0, 1e-10, 10_000).kernel(xs);
        int[] pred = GpClassifier.predict(k, c.train(), java.util.Arrays.copyOf(d.labels(), c.train()), 10, 1e-3);
        int ok = 0;
        for (int t = 0; t < pred.length; t++) if (pred[t] == d.labels()[c.train() + t]) ok++;
        double acc = ok / (double) pred.length;
        summary.put("c_gpAccuracy", acc);
        summary.put("c_train", c.train());
        summary.put("c_test", pred.length);
        System.out.printf(Locale.ROOT, "(c) GP (ReLU DEQ kernel) on %d train / %d test images: accuracy %.3f%n", c.train(), pred.length, acc);
        return summary;
    }
}
