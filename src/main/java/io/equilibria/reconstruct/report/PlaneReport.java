package io.equilibria.reconstruct.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

import java.util.List;
import java.util.Map;

/**
 * One solve of a reconstruction: a plane of a stack, the one scene behind a multi-frame stack, or a CS image.
 *
 * @param tileIterations        each tile's iterations when the plane was solved in tiles, else null
 * @param noiseSigmaNormalized  the noise level the method was given, in normalised units (null for CS, which reports
 *                              its own in the measurements' units)
 * @param operator              the forward operator's description (the last tile's when tiled)
 * @param trace                 the PSNR after every iteration, when a reference was given, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PlaneReport(@JsonUnwrapped SolveStats solve, List<Integer> tileIterations, Double noiseSigmaNormalized,
                          Map<String, Object> operator, @JsonUnwrapped PsnrSummary trace) {
    public int iterations() { return solve.iterations(); }

    public MethodParameters parameters() { return solve.parameters(); }
}
