package io.equilibria.reconstruct.report;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What warm starts across the slices of a stack saved. Verified (mode verify): every warm solve was paired with a
 * cold one, so the saving and the difference are measured; otherwise the saving is estimated from the cold solves
 * that did happen, and {@code estimate} says how.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record WarmStartSummary(String mode, int coldSolves, int warmSolves, int fellBackToColdStart, long coldIterations,
                               long warmIterations, Long sameSolvesColdIterations, Long iterationsSaved, Double savedFraction,
                               Double maxRelativeDifferenceToCold, Long estimatedIterationsSaved, String estimate,
                               Integer driftCompensated, Double maxDriftPx) {
    public WarmStartSummary(String mode, int coldSolves, int warmSolves, int fellBackToColdStart, long coldIterations,
                            long warmIterations, Long sameSolvesColdIterations, Long iterationsSaved, Double savedFraction,
                            Double maxRelativeDifferenceToCold, Long estimatedIterationsSaved, String estimate) {
        this(mode, coldSolves, warmSolves, fellBackToColdStart, coldIterations, warmIterations, sameSolvesColdIterations, iterationsSaved,
                savedFraction, maxRelativeDifferenceToCold, estimatedIterationsSaved, estimate, null, null);
    }

    /** One line for the image's info. */
    @JsonIgnore
    public String line() {
        Object saved = iterationsSaved != null ? iterationsSaved : "~" + estimatedIterationsSaved;
        return warmSolves + " warm-started solves (" + fellBackToColdStart + " fell back to the cold start), " + warmIterations
                + " iterations, " + saved + " saved against cold starts"
                + (driftCompensated != null && driftCompensated > 0 ? String.format(java.util.Locale.ROOT,
                "; %d moved by the measured drift first (largest %.2f px)", driftCompensated, maxDriftPx) : "");
    }
}
