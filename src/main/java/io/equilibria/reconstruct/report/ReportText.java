package io.equilibria.reconstruct.report;

import java.util.Locale;

/** A report in words: the one-line summary a run prints, and the label a figure gives its result. */
public final class ReportText {
    private ReportText() {}

    /** Method, model, solver and its residual, the strength and how it was chosen, the result kind, iterations, device, time. */
    public static String summary(ReconstructionReport r) {
        MethodParameters p = r.first().parameters();
        String learned = "";
        if (p.model() != null) {
            learned = ", model " + p.model() + ", solver " + p.solver() + ", residual " + String.format(Locale.ROOT, "%.2e", p.solverResidual())
                    + (p.converged() ? " (converged)" : " (NOT converged)")
                    + (Double.isNaN(p.strength()) ? "" : String.format(Locale.ROOT, ", prior strength %.3g%s", p.strength(),
                    p.searchIterations() >= 0 ? " (chosen by " + p.strengthChosenBy() + ", " + p.searchIterations() + " search iterations)" : ""))
                    + ("wiener".equals(p.result()) ? String.format(Locale.ROOT, "; RESULT: the Laplacian-penalised Wiener at lambda %.3g,"
                    + " whose SURE was lower than the DEQ's (the DEQ map was not applied)", p.wienerLambda()) : "")
                    + ("blend".equals(p.result()) ? String.format(Locale.ROOT, "; RESULT: %.2f x the DEQ + %.2f x the Laplacian-penalised"
                    + " Wiener at lambda %.3g (the blend of least SURE)", p.blendWeight(), 1 - p.blendWeight(), p.wienerLambda()) : "");
        }
        return "method " + r.method() + learned + ", " + r.first().iterations() + " iterations, device " + r.device()
                + String.format(", %.2f s", r.seconds());
    }

    /** What a figure panel showing this result should say it is, e.g. "DEQ-RED, 14 it." or a blend with the Wiener. */
    public static String label(ReconstructionReport r) {
        String label = switch (r.method()) {
            case "deq" -> "DEQ-RED";
            case "oder" -> "ODER";
            case "pnp" -> "DEQ-PnP";
            default -> r.method().toUpperCase(Locale.ROOT);
        };
        MethodParameters p = r.first().parameters();
        if ("wiener".equals(p.result())) label = "Wiener (chosen by SURE over " + label + ")";
        else if ("blend".equals(p.result())) {
            label = String.format(Locale.ROOT, "%.2f %s + %.2f Wiener (SURE)", p.blendWeight(), label, 1 - p.blendWeight());
        }
        return label + ", " + r.first().iterations() + " it.";
    }
}
