package io.equilibria.experiment;

import ai.djl.ndarray.NDManager;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.classify.EquilibriumNet;
import io.equilibria.gp.Activation;
import io.equilibria.gp.DeqKernel;
import io.equilibria.gp.GpClassifier;
import io.equilibria.errors.ModelException;
import io.equilibria.models.ModelStore;
import io.equilibria.train.ClassifierTrainer;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Part (c) of {@code experiment nngp}: GP classification with the ReLU DEQ kernel K* against a finite fully connected
 * MonDEQ (ReLU, 256 units) trained on exactly the same images, and, for context, the shipped {@code mondeq-fashion}
 * (trained on all 60 000 Fashion-MNIST training images). The GP's σ_w and noise are chosen on the training split only:
 * fit on its first 80 %, score on the last 20 %, ties to the paper's σ_w = 0.6 and the smallest noise.
 */
public final class GpComparison {
    private GpComparison() {}

    static final double PAPER_SIGMA_W = 0.6, PAPER_NOISE = 1e-3;
    static final double[] SIGMA_W = {PAPER_SIGMA_W, 0.3, 0.9, 1.2};
    static final double[] NOISE = {PAPER_NOISE, 1e-2, 1e-1};
    static final String SHIPPED = "mondeq-fashion";

    /** Accuracies on the test split; {@code shipped} is NaN when the shipped model is not found. */
    public record Result(int train, int test, double sigmaW, double noise, double validation, double gp, double gpPaper,
                         double gpSeconds, double deq, int deqEpochs, double deqSeconds, double shipped, String shippedNote) {}

    public static Result run(NDManager manager, GpSplit split, int epochs, long seed) {
        IdxDataset tr = split.train(), te = split.test();
        int n = tr.count(), fit = (int) Math.round(0.8 * n);
        if (fit < 1 || fit == n) throw new IllegalArgumentException("need at least 2 GP training images for the validation split");
        double[][] x = new double[n + te.count()][];
        for (int i = 0; i < x.length; i++) {
            float[] img = i < n ? tr.images()[i] : te.images()[i - n];
            x[i] = new double[img.length];
            for (int t = 0; t < img.length; t++) x[i][t] = img[t];
        }
        long t0 = System.nanoTime();
        double bestAcc = -1, bestSw = 0, bestNoise = 0, gpPaper = 0;
        double[][] best = null;
        for (double sw : SIGMA_W) {
            // each entry of K* depends only on its own pair, so the training block of the joint kernel is K* of the
            // training images alone: validation never sees the test images
            double[][] k = new DeqKernel(Activation.RELU, sw, 1.0, 1e-10, 100_000).kernel(x);
            double[][] block = new double[n][];
            for (int i = 0; i < n; i++) block[i] = Arrays.copyOf(k[i], n);
            for (double noise : NOISE) {
                double acc = ClassifierTrainer.accuracy(GpClassifier.predict(block, fit, Arrays.copyOf(tr.labels(), fit), 10, noise),
                        Arrays.copyOfRange(tr.labels(), fit, n));
                System.out.printf(Locale.ROOT, "(c) GP validation sigma_w %.1f noise %.0e: %.3f%n", sw, noise, acc);
                if (acc > bestAcc) {
                    bestAcc = acc;
                    bestSw = sw;
                    bestNoise = noise;
                    best = k;
                }
            }
            if (sw == PAPER_SIGMA_W) gpPaper = testAccuracy(k, tr, te, PAPER_NOISE);
        }
        double gp = testAccuracy(best, tr, te, bestNoise);
        double gpSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "(c) GP (sigma_w %.1f, noise %.0e by validation) on %d train / %d test: %.3f (%.1f s)%n",
                bestSw, bestNoise, n, te.count(), gp, gpSeconds);

        EquilibriumNet.Config net = new EquilibriumNet.Config(EquilibriumNet.Kind.MONDEQ, 1, tr.height(), tr.width(), 256, 10,
                0.2, 1.0, 1e-3, EquilibriumNet.Method.PR, 1.0, 1e-4, 300, seed);
        ClassifierTrainer.Config c = new ClassifierTrainer.Config(net, new ClassifierTrainer.Loop(epochs, Math.min(50, n), 1e-3, 0, seed),
                ClassifierTrainer.Margin.NONE);
        ClassifierTrainer.Result r = ClassifierTrainer.train(manager, c, tr, te, new ClassifierTrainer.Listener() {
            @Override public void step(int epoch, int step, int steps, double loss, int iterations) {}

            @Override public void epoch(Map<String, Object> s) {
                System.out.printf(Locale.ROOT, "(c) MonDEQ epoch %s: loss %.4f%n", s.get("epoch"), (double) s.get("loss"));
            }
        });
        double deq = ClassifierTrainer.accuracy(ClassifierTrainer.predict(r.net(), te, 0, seed).labels(), te.labels());
        System.out.printf(Locale.ROOT, "(c) finite MonDEQ (256 units, %d epochs) on the same split: %.3f (%.1f s)%n", epochs, deq, r.seconds());

        double shipped = Double.NaN;
        String note;
        try (NDManager sm = manager.newSubManager()) {
            EquilibriumNet model = (EquilibriumNet) ModelStore.load(SHIPPED, sm).block();
            shipped = ClassifierTrainer.accuracy(ClassifierTrainer.predict(model, te, 0, seed).labels(), te.labels());
            note = SHIPPED + ": trained on all 60000 Fashion-MNIST training images (not the subset)";
        } catch (ModelException e) {
            note = SHIPPED + " not available: " + e.getMessage();
        }
        System.out.printf(Locale.ROOT, "(c) %s: %.3f%n", note, shipped);
        return new Result(n, te.count(), bestSw, bestNoise, bestAcc, gp, gpPaper, gpSeconds, deq, epochs, r.seconds(), shipped, note);
    }

    private static double testAccuracy(double[][] k, IdxDataset tr, IdxDataset te, double noise) {
        int[] pred = GpClassifier.predict(k, tr.count(), tr.labels(), 10, noise);
        return ClassifierTrainer.accuracy(pred, te.labels());
    }
}
