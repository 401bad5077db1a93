package io.equilibria.certify;

/**
 * A classifier whose logit map has a proven ℓ2 Lipschitz bound, for the margin certificate radius = margin/(√2 L):
 * an LBEN (its prescribed γ) or a model converted exactly into one (a MonDEQ, an SLL, ...).
 */
public interface LipschitzLogits {
    /** The proven bound L of x ↦ logits. */
    double lipschitzBound();

    /** The logits at x (solved accurately enough that the margin is trustworthy), and the solver iterations used. */
    Logits logits(float[] x);

    record Logits(double[] values, int iterations) {}

    /** The float64 form of an LBEN, solved to 1e-12. */
    static LipschitzLogits of(io.equilibria.certify.lipschitz.Lben lben) {
        return new LipschitzLogits() {
            @Override public double lipschitzBound() { return lben.gamma(); }

            @Override public synchronized Logits logits(float[] x) {
                double[] xd = new double[x.length];
                for (int i = 0; i < x.length; i++) xd[i] = x[i];
                double[] y = lben.forward(xd);
                return new Logits(y, lben.lastIterations());
            }
        };
    }
}
