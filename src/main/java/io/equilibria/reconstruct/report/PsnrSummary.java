package io.equilibria.reconstruct.report;

import java.util.List;

/** With a reference: the PSNR (dB) after every iteration, and the best (1-based) and final values. */
public record PsnrSummary(List<Double> psnrTrace, int bestIteration, double bestPsnr, double finalPsnr) {
    public static PsnrSummary of(List<Double> psnr) {
        if (psnr.isEmpty()) return null;
        int best = 0;
        for (int i = 1; i < psnr.size(); i++) if (psnr.get(i) > psnr.get(best)) best = i;
        return new PsnrSummary(List.copyOf(psnr), best + 1, psnr.get(best), psnr.get(psnr.size() - 1));
    }
}
