package io.equilibria.reconstruct.report;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.equilibria.reconstruct.Result;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How one solve went (or, for a tiled plane, its tiles together): iterations, final change, time, parameters. */
public record SolveStats(int iterations, double relativeChange, double seconds, boolean cancelled, MethodParameters parameters) {
    public static SolveStats of(Result r) {
        return new SolveStats(r.iterations(), r.relativeChange(), r.seconds(), r.cancelled(), new MethodParameters(r.parameters()));
    }

    /**
     * Tiles solved as one plane: iterations and residual are the largest over tiles, seconds the sum, converged only
     * if every tile converged; the other parameters are the first tile's.
     */
    public static SolveStats ofTiles(List<Result> tiles) {
        if (tiles.size() == 1) return of(tiles.get(0));
        int iterations = 0;
        double change = 0, seconds = 0, residual = 0;
        boolean converged = true, cancelled = false;
        for (Result r : tiles) {
            SolveStats s = of(r);
            iterations = Math.max(iterations, s.iterations());
            if (Double.isFinite(s.relativeChange())) change = Math.max(change, s.relativeChange());
            seconds += s.seconds();
            cancelled |= s.cancelled();
            if (!Double.isNaN(s.parameters().solverResidual())) residual = Math.max(residual, s.parameters().solverResidual());
            converged &= s.parameters().converged();
        }
        Map<String, Object> p = new LinkedHashMap<>(tiles.get(0).parameters());
        if (p.containsKey("solverResidual")) {
            p.put("solverResidual", residual);
            p.put("converged", converged);
        }
        return new SolveStats(iterations, change, seconds, cancelled, new MethodParameters(p));
    }

    /** The fixed-point residual where the method has one, else the final relative change (NaN if neither is finite). */
    @JsonIgnore
    public double residual() {
        double r = parameters.solverResidual();
        return Double.isNaN(r) ? relativeChange : r;
    }
}
