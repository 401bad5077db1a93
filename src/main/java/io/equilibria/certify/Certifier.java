package io.equilibria.certify;

import io.equilibria.errors.Setting;

import io.equilibria.certify.lipschitz.Certificates;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One entry point for certifying a classifier's prediction on one image, used by the CLI and the ImageJ command alike:
 * randomized smoothing ({@link RandomizedSmoothing}), serialized randomized smoothing for equilibrium models
 * ({@link SerializedSmoothing}) or the Lipschitz-margin certificate of an LBEN ({@link Certificates}).
 */
public final class Certifier {
    public enum Method {
        RS, SRS, LIPSCHITZ;

        public static Method parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "rs", "smoothing" -> RS;
                case "srs", "serialized" -> SRS;
                case "lipschitz", "lip" -> LIPSCHITZ;
                default -> throw new IllegalArgumentException("method must be rs, srs or lipschitz, got '" + s + "'");
            };
        }

        public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * @param sigma    smoothing noise σ (input units, [0, 1] pixels for the shipped models)
     * @param n0       selection samples; @param n estimation samples; @param alpha failure probability
     * @param batch    noisy samples per classifier call
     * @param seed     base seed; image i uses seed + i
     * @param srsSteps solver steps per warm-started SRS batch (S); @param srsRecheck K re-checked samples
     */
    public record Settings(Method method, double sigma, int n0, int n, double alpha, int batch, long seed, int srsSteps,
                           int srsRecheck, SrsCertificate.Variant variant) {
        public Settings {
            if (method != Method.LIPSCHITZ) {
                if (!(sigma > 0) || Double.isInfinite(sigma)) throw new IllegalArgumentException(Setting.SMOOTHING_SIGMA + " must be > 0");
                if (n0 < 1 || n < 1 || batch < 1) throw new IllegalArgumentException(Setting.SAMPLES + " (selection, estimation, per call) must be >= 1");
                ConfidenceBounds.checkAlpha(alpha);
            }
            if (method == Method.SRS && (srsSteps < 1 || srsRecheck < 1 || srsRecheck > n))
                throw new IllegalArgumentException(Setting.SRS_STEPS + " must be >= 1 and 1..n (the estimation samples)");
        }

        public static Settings defaults(Method m) {
            return new Settings(m, 0.25, 100, 10_000, 0.001, 1000, 0, 2, 1000, SrsCertificate.Variant.PAPER);
        }

        public Settings withMethod(Method m) { return new Settings(m, sigma, n0, n, alpha, batch, seed, srsSteps, srsRecheck, variant); }
    }

    /** Predicted class (or {@link RandomizedSmoothing#ABSTAIN}), certified ℓ2 radius, time and method details. */
    public record Outcome(int label, double radius, double seconds, Map<String, Object> details) {
        public boolean abstained() { return label == RandomizedSmoothing.ABSTAIN; }
    }

    private final Classifier classifier;
    private final LipschitzLogits lipschitz; // null when the model has no proven Lipschitz bound
    private final String description;

    /** @param lipschitz the model's logits with their proven Lipschitz bound, or null if it has none */
    public Certifier(Classifier classifier, LipschitzLogits lipschitz, String description) {
        this.classifier = classifier;
        this.lipschitz = lipschitz;
        this.description = description;
    }

    public Classifier classifier() { return classifier; }
    public String description() { return description; }
    /** The proven Lipschitz bound of the logits, or NaN when the model has none. */
    public double lipschitzBound() { return lipschitz == null ? Double.NaN : lipschitz.lipschitzBound(); }

    /** Whether {@code m} can be used with this classifier (SRS needs an equilibrium model, Lipschitz an LBEN form). */
    public String unsupported(Method m) {
        if (m == Method.SRS && !(classifier instanceof SerialClassifier)) return "SRS needs an equilibrium (DEQ) classifier; this one is " + description;
        if (m == Method.LIPSCHITZ && lipschitz == null) return "the Lipschitz certificate needs an LBEN or MonDEQ model; this one is " + description;
        return null;
    }

    public Outcome certify(float[] x, int index, Settings s) {
        String why = unsupported(s.method());
        if (why != null) throw new IllegalArgumentException(why);
        long seed = s.seed() + index;
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("method", s.method().label());
        switch (s.method()) {
            case RS -> {
                RandomizedSmoothing.Certificate c = new RandomizedSmoothing(classifier, s.sigma()).certify(x, s.n0(), s.n(), s.alpha(), s.batch(), seed);
                d.put("selected", c.selectedLabel());
                d.put("nA", c.nA());
                d.put("n", c.n());
                d.put("pA", c.pA());
                return new Outcome(c.label(), c.radius(), c.seconds(), d);
            }
            case SRS -> {
                SerializedSmoothing.Certificate c = new SerializedSmoothing((SerialClassifier) classifier, s.sigma())
                        .certify(x, s.n0(), s.n(), s.alpha(), s.batch(), seed, s.srsSteps(), s.srsRecheck(), s.variant());
                d.put("selected", c.selectedLabel());
                d.put("nA", c.nA());
                d.put("n", c.n());
                d.put("pA", c.result().pA());
                d.put("N1", c.n1());
                d.put("N2", c.n2());
                d.put("recheckAgreement", c.agree() / (double) c.recheck());
                d.put("mismatchBound", c.result().mismatchBound());
                d.put("effectiveCount", c.result().effectiveCount());
                d.put("variant", c.result().variant().name().toLowerCase(Locale.ROOT).replace('_', '-'));
                d.put("solverSteps", c.steps());
                return new Outcome(c.label(), c.radius(), c.seconds(), d);
            }
            default -> {
                long t0 = System.nanoTime();
                LipschitzLogits.Logits logits = lipschitz.logits(x);
                double bound = lipschitz.lipschitzBound();
                int label = Certificates.argmax(logits.values());
                double radius = Certificates.certifiedRadius(logits.values(), bound);
                d.put("lipschitzBound", bound);
                d.put("margin", radius * Math.sqrt(2) * bound);
                d.put("solverIterations", logits.iterations());
                return new Outcome(label, radius, (System.nanoTime() - t0) * 1e-9, d);
            }
        }
    }
}
