package io.equilibria.reconstruct.methods;

import io.equilibria.reconstruct.Result;

import io.equilibria.reconstruct.methods.Deconvolution;

import ai.djl.ndarray.NDArray;
import io.equilibria.compute.Tensors;
import io.equilibria.physics.LinearOperator;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Counts what warm starts across slices save. A warm-started solve may fall back to the cold start when that is
 * nearer the fixed point (the reconstructor reports {@code warmStartUsed}); it still counts as a warm solve. In VERIFY mode every warm solve is paired with a cold one, so the
 * saving and the difference between the two results are measured, not estimated; otherwise the saving is estimated
 * from the cold solves that did happen (the first slice's), and labelled as an estimate.
 */
final class WarmStartLedger {
    private final Deconvolution.WarmStart mode;
    private int coldSolves, warmSolves, fellBack;
    private long coldIterations, warmIterations, verifiedColdIterations;
    private double maxRelativeDifference;
    private boolean anyWarm;

    WarmStartLedger(Deconvolution.WarmStart mode) { this.mode = mode; }

    void record(Result r, boolean warm) {
        if (warm) {
            anyWarm = true;
            warmSolves++;
            if (Boolean.FALSE.equals(r.parameters().get("warmStartUsed"))) fellBack++;
            warmIterations += r.iterations();
        } else {
            coldSolves++;
            coldIterations += r.iterations();
        }
    }

    /** A warm solve and the cold solve of the same data: the iterations each took and the relative L2 difference. */
    void compare(Result warm, Result cold, LinearOperator a) {
        record(warm, true);
        verifiedColdIterations += cold.iterations();
        try (NDArray wi = a.toImage(warm.x()); NDArray ci = a.toImage(cold.x()); NDArray d = wi.sub(ci)) {
            double rel = Tensors.norm(d) / Math.max(Tensors.norm(ci), 1e-30);
            maxRelativeDifference = Math.max(maxRelativeDifference, rel);
        }
    }

    boolean used() { return anyWarm; }

    Map<String, Object> report() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode.name().toLowerCase(Locale.ROOT));
        m.put("coldSolves", coldSolves);
        m.put("warmSolves", warmSolves);
        m.put("fellBackToColdStart", fellBack);
        m.put("coldIterations", coldIterations);
        m.put("warmIterations", warmIterations);
        if (mode == Deconvolution.WarmStart.VERIFY) {
            m.put("sameSolvesColdIterations", verifiedColdIterations);
            m.put("iterationsSaved", verifiedColdIterations - warmIterations);
            m.put("savedFraction", verifiedColdIterations == 0 ? 0 : (verifiedColdIterations - warmIterations) / (double) verifiedColdIterations);
            m.put("maxRelativeDifferenceToCold", maxRelativeDifference);
        } else if (coldSolves > 0) {
            double perCold = coldIterations / (double) coldSolves;
            m.put("estimatedIterationsSaved", Math.round(perCold * warmSolves - warmIterations));
            m.put("estimate", "each warm solve is compared with the mean of the cold solves (the first slice); "
                    + "--warm-start verify measures it exactly");
        }
        return m;
    }

    String summary() {
        Map<String, Object> r = report();
        Object saved = r.containsKey("iterationsSaved") ? r.get("iterationsSaved") : "~" + r.get("estimatedIterationsSaved");
        return warmSolves + " warm-started solves (" + fellBack + " fell back to the cold start), " + warmIterations + " iterations, " + saved + " saved against cold starts";
    }
}
