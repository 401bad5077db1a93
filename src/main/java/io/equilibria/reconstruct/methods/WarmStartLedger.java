package io.equilibria.reconstruct.methods;

import io.equilibria.errors.Setting;

import io.equilibria.reconstruct.report.MethodParameters;
import io.equilibria.reconstruct.report.WarmStartSummary;

import io.equilibria.reconstruct.Result;

import io.equilibria.reconstruct.methods.Deconvolution;

import ai.djl.ndarray.NDArray;
import io.equilibria.compute.Tensors;
import io.equilibria.physics.LinearOperator;

import java.util.Locale;

/**
 * Counts what warm starts across slices save. A warm-started solve may fall back to the cold start when that is
 * nearer the fixed point (the reconstructor reports {@code warmStartUsed}); it still counts as a warm solve. In VERIFY mode every warm solve is paired with a cold one, so the
 * saving and the difference between the two results are measured, not estimated; otherwise the saving is estimated
 * from the cold solves that did happen (the first slice's), and labelled as an estimate.
 */
final class WarmStartLedger implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private final Deconvolution.WarmStart mode;
    private int coldSolves, warmSolves, fellBack;
    private long coldIterations, warmIterations, verifiedColdIterations;
    private double maxRelativeDifference, maxDrift;
    private int driftCompensated;
    private boolean anyWarm;

    WarmStartLedger(Deconvolution.WarmStart mode) { this.mode = mode; }

    void record(Result r, boolean warm) {
        if (warm) {
            anyWarm = true;
            warmSolves++;
            if (!new MethodParameters(r.parameters()).warmStartUsed()) fellBack++;
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
        // toImage may return its argument itself (a periodic boundary has no margin to crop): close only what it made
        NDArray wi = a.toImage(warm.x()), ci = a.toImage(cold.x());
        try (NDArray d = wi.sub(ci)) {
            double rel = Tensors.norm(d) / Math.max(Tensors.norm(ci), 1e-30);
            maxRelativeDifference = Math.max(maxRelativeDifference, rel);
        } finally {
            if (wi != warm.x()) wi.close();
            if (ci != cold.x()) ci.close();
        }
    }

    /** A warm start moved by the drift measured between its plane and the previous one ({@code px} long). */
    void drift(double px) {
        driftCompensated++;
        maxDrift = Math.max(maxDrift, px);
    }

    /** Adds another ledger's counts (the parts of a tiled run, each with its own). */
    void add(WarmStartLedger o) {
        coldSolves += o.coldSolves;
        warmSolves += o.warmSolves;
        fellBack += o.fellBack;
        coldIterations += o.coldIterations;
        warmIterations += o.warmIterations;
        verifiedColdIterations += o.verifiedColdIterations;
        maxRelativeDifference = Math.max(maxRelativeDifference, o.maxRelativeDifference);
        anyWarm |= o.anyWarm;
        driftCompensated += o.driftCompensated;
        maxDrift = Math.max(maxDrift, o.maxDrift);
    }

    boolean used() { return anyWarm; }

    WarmStartSummary summary() {
        boolean verify = mode == Deconvolution.WarmStart.VERIFY;
        Long estimated = null;
        String estimate = null;
        if (!verify && coldSolves > 0) {
            estimated = Math.round(coldIterations / (double) coldSolves * warmSolves - warmIterations);
            estimate = "each warm solve is compared with the mean of the cold solves (the first slice); "
                    + Setting.WARM_START + " verify measures it exactly";
        }
        return new WarmStartSummary(mode.name().toLowerCase(Locale.ROOT), coldSolves, warmSolves, fellBack, coldIterations, warmIterations,
                verify ? verifiedColdIterations : null, verify ? verifiedColdIterations - warmIterations : null,
                verify ? (verifiedColdIterations == 0 ? 0 : (verifiedColdIterations - warmIterations) / (double) verifiedColdIterations) : null,
                verify ? maxRelativeDifference : null, estimated, estimate, driftCompensated, driftCompensated > 0 ? maxDrift : null);
    }
}
