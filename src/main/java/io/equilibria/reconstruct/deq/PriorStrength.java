package io.equilibria.reconstruct.deq;

import java.util.Locale;

/**
 * How strong the learned prior is: a fixed multiple m of the noise level it sees (1 = the model as trained), or
 * {@code auto}: m chosen per image by SURE, and — unless {@code wienerCandidate} is off — the Laplacian-penalised
 * Wiener at its SURE-best λ blended with the DEQ, or returned alone, where SURE says so (see {@link DeqReconstructor}).
 *
 * @param multiple        m > 0, or NaN for the automatic choice
 * @param wienerCandidate with the automatic choice: also consider the Wiener
 */
public record PriorStrength(double multiple, boolean wienerCandidate) {
    public static final PriorStrength AUTO = new PriorStrength(Double.NaN, true);
    public static final PriorStrength TRAINED = new PriorStrength(1, false);

    public PriorStrength {
        if (!(Double.isNaN(multiple) || multiple > 0 && Double.isFinite(multiple))) {
            throw new IllegalArgumentException("prior strength must be auto or a number > 0, got " + multiple);
        }
        if (!Double.isNaN(multiple)) wienerCandidate = false;
    }

    public boolean automatic() { return Double.isNaN(multiple); }

    /** "auto", "auto:deq" (no Wiener candidate) or a number. */
    public static PriorStrength parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("auto")) return AUTO;
        if (t.equals("auto:deq")) return new PriorStrength(Double.NaN, false);
        double v = Double.NaN;
        try {
            v = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            // reported below, with the other bad values
        }
        if (!(v > 0) || !Double.isFinite(v)) throw new IllegalArgumentException("prior strength must be auto, auto:deq or a number > 0, got '" + text.trim() + "'");
        return new PriorStrength(v, false);
    }

    @Override
    public String toString() {
        return automatic() ? (wienerCandidate ? "auto" : "auto:deq") : String.valueOf(multiple);
    }
}
