package io.equilibria.certify;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SrsCertificateTest {
    @Test
    void withoutMismatchItIsCohensCertificate() {
        for (long nA : new long[] {5200, 9000, 9990, 10000}) {
            double pA = ConfidenceBounds.lowerConfidenceBound(nA, 10000, 0.001);
            SrsCertificate.Result r = SrsCertificate.withMismatch(3, nA, 10000, 0, 0.001, 0.5);
            assertEquals(pA, r.pA(), 1e-15);
            assertEquals(RandomizedSmoothing.abstains(pA) ? RandomizedSmoothing.ABSTAIN : 3, r.label());
            assertEquals(RandomizedSmoothing.abstains(pA) ? 0 : RandomizedSmoothing.radius(pA, 0.5), r.radius(), 1e-15);
        }
        // the reference value of the issue: LCB(9000, 10000, 0.001) and radius 0.6144 at sigma 0.5
        assertEquals(0.6144, SrsCertificate.withMismatch(0, 9000, 10000, 0, 0.001, 0.5).radius(), 5e-5);
        // the real-valued bound equals the integer one at integer counts
        assertEquals(ConfidenceBounds.lowerConfidenceBound(9000L, 10000L, 0.001),
                ConfidenceBounds.lowerConfidenceBound(9000.0, 10000.0, 0.001), 1e-15);
    }

    @Test
    void mismatchesShrinkTheRadiusAndUnknownMismatchAbstains() {
        double prev = Double.POSITIVE_INFINITY;
        for (long n1 : new long[] {400, 398, 390, 360}) {
            SrsCertificate.Result r = SrsCertificate.certify(1, 9500, 10000, n1, 400, 0.001, 0.25, SrsCertificate.Variant.PAPER);
            assertTrue(r.radius() < prev, "more mismatches, smaller radius");
            prev = r.radius();
            assertEquals(SrsCertificate.mismatchBound(n1, 400, 0.0005), r.mismatchBound(), 1e-15);
        }
        // all K agree: p̄_m = 1 − (α/2)^{1/K} (the LCB identity), small but not zero
        assertEquals(1 - Math.pow(0.0005, 1.0 / 400), SrsCertificate.mismatchBound(400, 400, 0.0005), 1e-12);
        // the paper's certificate is never above Cohen's at the same α/2 on the same counts
        double cohen = RandomizedSmoothing.radius(ConfidenceBounds.lowerConfidenceBound(9500, 10000, 0.0005), 0.25);
        assertTrue(SrsCertificate.certify(1, 9500, 10000, 400, 400, 0.001, 0.25, SrsCertificate.Variant.PAPER).radius() < cohen);
        assertEquals(RandomizedSmoothing.ABSTAIN,
                SrsCertificate.certify(1, 9500, 10000, 0, 0, 0.001, 0.25, SrsCertificate.Variant.PAPER).label(), "N2 = 0: nothing known");
        assertEquals(RandomizedSmoothing.ABSTAIN,
                SrsCertificate.certify(1, 5200, 10000, 380, 400, 0.001, 0.25, SrsCertificate.Variant.PAPER).label());
    }

    @Test
    void thePublicCodesVariantGivesLargerRadii() {
        for (long n1 : new long[] {400, 395, 380}) {
            SrsCertificate.Result paper = SrsCertificate.certify(2, 9500, 10000, n1, 400, 0.001, 0.5, SrsCertificate.Variant.PAPER);
            SrsCertificate.Result code = SrsCertificate.certify(2, 9500, 10000, n1, 400, 0.001, 0.5, SrsCertificate.Variant.PUBLIC_CODE);
            assertEquals(SrsCertificate.Variant.PUBLIC_CODE, code.variant());
            assertTrue(code.radius() >= paper.radius(), "public code " + code.radius() + " vs paper " + paper.radius());
        }
    }
}
