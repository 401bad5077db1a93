package io.equilibria.certify;

import java.util.List;

/**
 * Certified accuracy at radius r over a labelled set (Cohen et al.'s metric): the fraction of images whose certified
 * prediction is correct (not an abstention) with certified radius ≥ r.
 */
public final class CertifiedAccuracy {
    private CertifiedAccuracy() {}

    public static double at(List<Certifier.Outcome> outcomes, int[] labels, double r) {
        if (outcomes.size() != labels.length) throw new IllegalArgumentException("one label per outcome needed");
        if (outcomes.isEmpty()) return Double.NaN;
        int ok = 0;
        for (int i = 0; i < labels.length; i++) {
            Certifier.Outcome o = outcomes.get(i);
            if (!o.abstained() && o.label() == labels[i] && o.radius() >= r) ok++;
        }
        return ok / (double) labels.length;
    }

    public static double[] at(List<Certifier.Outcome> outcomes, int[] labels, double[] radii) {
        double[] a = new double[radii.length];
        for (int i = 0; i < radii.length; i++) a[i] = at(outcomes, labels, radii[i]);
        return a;
    }

    /** A fine radius grid from 0 past the largest certified radius, for plotting the step curve. */
    public static double[] grid(List<Certifier.Outcome> outcomes, int points) {
        double max = 0;
        for (Certifier.Outcome o : outcomes) max = Math.max(max, o.radius());
        max = max > 0 ? max * 1.05 : 1;
        double[] g = new double[points];
        for (int i = 0; i < points; i++) g[i] = max * i / (points - 1);
        return g;
    }
}
