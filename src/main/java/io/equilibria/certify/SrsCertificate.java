package io.equilibria.certify;

/**
 * The correlation-eliminated certificate of serialized randomized smoothing (SRS; Gao, Hou, Xu, Liu, NeurIPS 2024).
 * SRS labels its N noisy samples with a DEQ whose solve is warm-started from the previous sample and cut to S steps,
 * so its labels may differ from the standard DEQ's. K of the samples are re-run through the standard DEQ: N2 of them
 * got label c_A from SRS, N1 of those also from the standard DEQ. Then
 * <pre>
 *   p̄_m  = 1 − LCB(N1, N2, α/2)          upper bound on P(standard label ≠ c_A | SRS label = c_A)
 *   N_A^E = N_A (1 − p̄_m)                 SRS's count of c_A, discounted by the possible mismatches
 *   p_A   = LCB(N_A^E, N, α/2),  R = σ Φ⁻¹(p_A), abstain if p_A &lt; 1/2
 * </pre>
 * (the two bounds share the confidence budget α, hence α/2 each; this is the form the paper's theorem covers). The
 * public code (WeizhiGao/Serialized-Randomized-Smoothing, {@code SRS/code/core.py}) instead scales both counts by
 * r = LCB(N1, N2, α/2), which gives larger radii; it is offered as {@link Variant#PUBLIC_CODE} and labelled so.
 */
public final class SrsCertificate {
    /** Which certificate: the paper's (default) or the public code's. */
    public enum Variant { PAPER, PUBLIC_CODE }

    /** The outcome: label ({@link RandomizedSmoothing#ABSTAIN} = abstain), radius, p_A, the mismatch bound and discounted count. */
    public record Result(int label, double radius, double pA, double mismatchBound, double effectiveCount, Variant variant) {}

    private SrsCertificate() {}

    /** p̄_m = 1 − LCB(N1, N2, alpha); with no re-checked sample of class c_A (N2 = 0) nothing is known: 1. */
    public static double mismatchBound(long n1, long n2, double alpha) {
        if (n1 < 0 || n1 > n2) throw new IllegalArgumentException("need 0 <= N1 <= N2, got " + n1 + ", " + n2);
        return n2 == 0 ? 1.0 : 1.0 - ConfidenceBounds.lowerConfidenceBound(n1, n2, alpha);
    }

    /**
     * The certificate from SRS's count {@code nA} of {@code n} samples for class {@code label} and a known mismatch bound
     * {@code pm}, at confidence {@code alpha} for p_A. With pm = 0 this is exactly Cohen et al.'s CERTIFY.
     */
    public static Result withMismatch(int label, long nA, long n, double pm, double alpha, double sigma) {
        if (!(pm >= 0 && pm <= 1)) throw new IllegalArgumentException("mismatch bound must be in [0, 1], got " + pm);
        double effective = nA * (1 - pm);
        double pA = ConfidenceBounds.lowerConfidenceBound(effective, (double) n, alpha);
        return decide(label, pA, sigma, pm, effective, Variant.PAPER);
    }

    /** The certificate from the counts: SRS's N_A of N, and N1 of N2 re-checked samples, total confidence {@code alpha}. */
    public static Result certify(int label, long nA, long n, long n1, long n2, double alpha, double sigma, Variant variant) {
        if (variant == Variant.PAPER) {
            double pm = mismatchBound(n1, n2, alpha / 2);
            return withMismatch(label, nA, n, pm, alpha / 2, sigma);
        }
        double ratio = n2 == 0 ? 0 : ConfidenceBounds.lowerConfidenceBound(n1, n2, alpha / 2);
        double effective = nA * ratio, total = n * ratio;
        double pA = total > 0 ? ConfidenceBounds.lowerConfidenceBound(effective, total, alpha / 2) : 0;
        return decide(label, pA, sigma, 1 - ratio, effective, Variant.PUBLIC_CODE);
    }

    private static Result decide(int label, double pA, double sigma, double pm, double effective, Variant v) {
        boolean abstain = RandomizedSmoothing.abstains(pA);
        return new Result(abstain ? RandomizedSmoothing.ABSTAIN : label, abstain ? 0 : RandomizedSmoothing.radius(pA, sigma),
                pA, pm, effective, v);
    }
}
