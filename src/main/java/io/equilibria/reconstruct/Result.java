package io.equilibria.reconstruct;

import ai.djl.ndarray.NDArray;

import java.util.List;
import java.util.Map;

/**
 * A reconstruction on the operator's domain (crop with {@code LinearOperator.toImage}) and how it was obtained:
 * iterations run, final relative change, the trace of relative changes, wall time, whether it was cancelled, and
 * the parameters actually used (defaults resolved).
 */
public record Result(NDArray x, String method, int iterations, double relativeChange, List<Double> trace,
                     double seconds, boolean cancelled, Map<String, Object> parameters) {
}
