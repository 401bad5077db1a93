package io.equilibria.reconstruct.methods;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.report.ReportJson;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one part of a {@link TiledDeconvolution} produced, to be assembled wherever the others are: the part's index,
 * and for each solve it ran (one per plane or scene of the tile, or one volume) the solution on the tile in the
 * solver's normalised units and the solve's statistics; and what its warm starts saved. Serializable, so a part
 * solved on one machine is assembled on another.
 */
public record TilePart(int part, List<Solved> solves, WarmStartLedger ledger) implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * One solve on a tile: {@code width × height × depth} values (depth 1 for a plane), the noise level it was given
     * (normalised units), and its {@link Result} without the tensor: the parameters and the operator's description
     * travel as JSON.
     */
    public record Solved(int width, int height, int depth, float[] values, double noiseSigma, String method, int iterations, double relativeChange,
                         List<Double> trace, double seconds, boolean cancelled, String parametersJson, String operatorJson)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        static Solved of(Result r, int width, int height, int depth, float[] values, double noiseSigma, Map<String, Object> operator) {
            try {
                return new Solved(width, height, depth, values, noiseSigma, r.method(), r.iterations(), r.relativeChange(),
                        r.trace() == null ? null : new ArrayList<>(r.trace()), r.seconds(), r.cancelled(),
                        ReportJson.MAPPER.writeValueAsString(r.parameters()), ReportJson.MAPPER.writeValueAsString(operator));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a solve's parameters do not serialise: " + e.getMessage(), e);
            }
        }

        /** The solve as a {@link Result} with no tensor (for the report). */
        Result result() {
            return new Result(null, method, iterations, relativeChange, trace, seconds, cancelled, map(parametersJson));
        }

        Map<String, Object> operator() { return map(operatorJson); }

        private static Map<String, Object> map(String json) {
            try {
                return ReportJson.MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a tile part's record is damaged: " + e.getMessage(), e);
            }
        }
    }
}
