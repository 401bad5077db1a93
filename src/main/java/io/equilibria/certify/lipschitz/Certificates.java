package io.equilibria.certify.lipschitz;

import java.util.Random;
import java.util.function.UnaryOperator;

/**
 * Lipschitz-margin certificates and an empirical check of the bound.
 *
 * <p>If the logit map f is L-Lipschitz in ℓ2, then for any j ≠ y the difference f_y − f_j is √2 L-Lipschitz
 * (the vector e_y − e_j has norm √2), so the prediction y cannot change within radius
 * R = (f_y − max_{j≠y} f_j) / (√2 L) (Tsuzuku, Sato &amp; Sugiyama, NeurIPS 2018; used by Havens et al. 2023).
 */
public final class Certificates {

    private Certificates() {}

    /** Index of the largest logit. */
    public static int argmax(double[] logits) {
        int k = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[k]) k = i;
        return k;
    }

    /** Certified ℓ2 radius of the predicted class: (f_top − f_second) / (√2 L); 0 on a tie. */
    public static double certifiedRadius(double[] logits, double lipschitz) {
        if (logits.length < 2) throw new IllegalArgumentException("need at least two logits");
        if (!(lipschitz > 0)) throw new IllegalArgumentException("Lipschitz constant must be > 0");
        int top = argmax(logits);
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) if (i != top) second = Math.max(second, logits[i]);
        return (logits[top] - second) / (Math.sqrt(2) * lipschitz);
    }

    /** A prediction and its certified ℓ2 radius. */
    public record Certified(int label, double radius) {}

    /** Predicted class of an L-Lipschitz logit map at x and its certified radius. */
    public static Certified certify(UnaryOperator<double[]> f, double lipschitz, double[] x) {
        double[] logits = f.apply(x);
        return new Certified(argmax(logits), certifiedRadius(logits, lipschitz));
    }

    /** ‖f(x) − f(x')‖ / ‖x − x'‖. */
    public static double ratio(UnaryOperator<double[]> f, double[] x, double[] xp) {
        double[] y = f.apply(x), yp = f.apply(xp);
        double num = 0, den = 0;
        for (int i = 0; i < y.length; i++) num += (y[i] - yp[i]) * (y[i] - yp[i]);
        for (int i = 0; i < x.length; i++) den += (x[i] - xp[i]) * (x[i] - xp[i]);
        return Math.sqrt(num / den);
    }

    /**
     * Largest empirical ratio found by a simple adversarial search: {@code starts} random pairs (x, x' = x + δ)
     * with δ of random scale, each improved by {@code steps} steps of stochastic hill climbing on (x, δ) with
     * a step that grows on success and shrinks on failure. A lower bound on the true Lipschitz constant; it
     * must never exceed a valid certificate.
     */
    public static double empiricalLipschitz(UnaryOperator<double[]> f, int inputDim, int starts, int steps,
                                            long seed) {
        Random rng = new Random(seed);
        double best = 0;
        for (int s = 0; s < starts; s++) {
            double[] x = gaussian(rng, inputDim, 2.0);
            double scale = Math.pow(10, -3 + 3.5 * rng.nextDouble());
            double[] dl = gaussian(rng, inputDim, scale);
            double cur = ratio(f, x, add(x, dl));
            double step = 0.3;
            for (int t = 0; t < steps; t++) {
                double[] x2 = add(x, gaussian(rng, inputDim, step));
                double dn = norm(dl);
                double[] d2 = add(dl, gaussian(rng, inputDim, step * dn));
                if (norm(d2) == 0) continue;
                double r = ratio(f, x2, add(x2, d2));
                if (r > cur) { cur = r; x = x2; dl = d2; step = Math.min(2.0, step * 1.5); }
                else step = Math.max(1e-4, step * 0.9);
            }
            best = Math.max(best, cur);
        }
        return best;
    }

    private static double[] gaussian(Random rng, int n, double sd) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = sd * rng.nextGaussian();
        return v;
    }

    private static double[] add(double[] a, double[] b) {
        double[] c = new double[a.length];
        for (int i = 0; i < a.length; i++) c[i] = a[i] + b[i];
        return c;
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return Math.sqrt(s);
    }
}
