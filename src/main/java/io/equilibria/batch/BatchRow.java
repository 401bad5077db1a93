package io.equilibria.batch;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.equilibria.metrics.Scores;
import io.equilibria.reconstruct.report.ReconstructionReport;
import io.equilibria.reconstruct.report.ReportJson;
import io.equilibria.reconstruct.report.WarmStartSummary;

/**
 * One image of a run, as the batch journal, the batch report and the CSV report hold it: where it came from and went,
 * whether it finished, and the flat fields of its report (iterations summed over planes, the worst residual,
 * converged only if every plane did), its scores against a ground truth if one was given, and the full report.
 * {@code model} and {@code solver} are always written (empty for classical methods), so a CSV has their columns.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true) // journals of older versions
public record BatchRow(String relative, String input, String output, String status, String error,
                       String method, @JsonInclude(JsonInclude.Include.ALWAYS) String model,
                       @JsonInclude(JsonInclude.Include.ALWAYS) String solver, String device, Integer planes, Long iterations,
                       Double residual, Boolean converged, Double seconds, Integer tiles, WarmStartSummary warmStart,
                       Double psnr, Double ssim, Long peakRssMiB, JsonNode report, Boolean resumed) {
    public static final String OK = "ok", FAILED = "failed";

    public static BatchRow ok(BatchPlan.Job job, ReconstructionReport r, Scores scores, long peakRssMiB) {
        return new BatchRow(job.relative().toString(), job.input().toString(), job.output().toString(), OK, null,
                r.method(), r.first().parameters().model(), r.first().parameters().solver(), r.device(), r.planes().size(),
                r.totalIterations(), r.worstResidual(), r.converged(), r.seconds(), r.deblur() != null ? r.deblur().tiles() : null,
                r.deblur() != null ? r.deblur().warmStart() : null, scores != null ? scores.psnr() : null,
                scores != null ? scores.ssim() : null, peakRssMiB, ReportJson.tree(r), null);
    }

    public static BatchRow failed(BatchPlan.Job job, String error) {
        return new BatchRow(job.relative().toString(), job.input().toString(), job.output().toString(), FAILED, error,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** This row, read from the journal of an earlier run that finished the image. */
    public BatchRow asResumed() {
        return new BatchRow(relative, input, output, status, error, method, model, solver, device, planes, iterations, residual,
                converged, seconds, tiles, warmStart, psnr, ssim, peakRssMiB, report, true);
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isOk() { return OK.equals(status); }
}
