package io.equilibria.reconstruct.report;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a reconstruction was made, for the JSON report, the image's info and the batch row: method, device, the
 * setup of the task (deblur or CS), one {@link PlaneReport} per solve, and the wall time. {@link ReportJson} writes
 * it; a CS report, which has one solve, lists it flat as it always has.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ReconstructionReport(int schemaVersion, String method, String device, Boolean cancelled,
                                   @JsonUnwrapped DeblurSetup deblur, @JsonUnwrapped CsSetup cs,
                                   List<PlaneReport> planes, double seconds, Integer channels) {
    /** Raised when a field is renamed, removed or changes meaning; adding a field keeps it. */
    public static final int SCHEMA_VERSION = 1;

    /** One channel (the field is left out of the JSON). */
    public ReconstructionReport(int schemaVersion, String method, String device, Boolean cancelled, DeblurSetup deblur, CsSetup cs,
                                List<PlaneReport> planes, double seconds) {
        this(schemaVersion, method, device, cancelled, deblur, cs, planes, seconds, null);
    }

    /**
     * The report of a multi-channel deblur from its channels' reports: their solves in channel order, each channel's
     * PSF ("channel 1: …; channel 2: …"), the total time; the rest is the first channel's.
     */
    public static ReconstructionReport ofChannels(List<ReconstructionReport> each) {
        ReconstructionReport first = each.get(0);
        if (each.size() == 1) return first;
        List<PlaneReport> planes = new java.util.ArrayList<>();
        StringBuilder psfs = new StringBuilder();
        double seconds = 0;
        boolean cancelled = false;
        for (int c = 0; c < each.size(); c++) {
            ReconstructionReport r = each.get(c);
            planes.addAll(r.planes());
            seconds += r.seconds();
            cancelled |= r.wasCancelled();
            psfs.append(c == 0 ? "" : "; ").append("channel ").append(c + 1).append(": ").append(r.deblur().psf());
        }
        DeblurSetup d = first.deblur();
        DeblurSetup merged = new DeblurSetup(psfs.toString(), d.boundary(), d.multiFrame(), d.normalization(), d.tiles(), d.tiling(),
                d.memoryBudgetMiB(), d.estimatedPeakMiB(), d.warmStart(), d.volume(), d.registration());
        return new ReconstructionReport(first.schemaVersion(), first.method(), first.device(), cancelled ? Boolean.TRUE : first.cancelled(),
                merged, null, planes, seconds, each.size());
    }

    public ReconstructionReport {
        planes = List.copyOf(planes);
        if (planes.isEmpty()) throw new IllegalArgumentException("a reconstruction report needs at least one solve");
        if ((deblur == null) == (cs == null)) throw new IllegalArgumentException("a report is of a deblur or a CS reconstruction");
    }

    /** How a deblur was set up: PSF, boundary, normalisation, tiling and memory, warm starts across slices. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DeblurSetup(String psf, String boundary, boolean multiFrame, String normalization, int tiles, String tiling,
                              long memoryBudgetMiB, long estimatedPeakMiB, WarmStartSummary warmStart, VolumeSetup volume,
                              RegistrationReport registration) {
        public DeblurSetup(String psf, String boundary, boolean multiFrame, String normalization, int tiles, String tiling,
                           long memoryBudgetMiB, long estimatedPeakMiB, WarmStartSummary warmStart) {
            this(psf, boundary, multiFrame, normalization, tiles, tiling, memoryBudgetMiB, estimatedPeakMiB, warmStart, null, null);
        }

        public DeblurSetup(String psf, String boundary, boolean multiFrame, String normalization, int tiles, String tiling,
                           long memoryBudgetMiB, long estimatedPeakMiB, WarmStartSummary warmStart, VolumeSetup volume) {
            this(psf, boundary, multiFrame, normalization, tiles, tiling, memoryBudgetMiB, estimatedPeakMiB, warmStart, volume, null);
        }
    }

    /**
     * A 3D deconvolution: the volume's size (W×H×D voxels), its voxel size and the PSF's, and what was done to make the
     * PSF's voxels match the data's (null when nothing was needed).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record VolumeSetup(String size, String voxelSize, String psfSize, String psfVoxelSize, String psfResampling) {}

    /** The noise level a CS reconstruction was given (measurement units), and where it came from. */
    public record CsSetup(double noiseSigma, String noiseSigmaSource) {}

    @JsonIgnore
    public PlaneReport first() { return planes.get(0); }

    @JsonIgnore
    public boolean wasCancelled() { return Boolean.TRUE.equals(cancelled); }

    /** Iterations over all solves. */
    @JsonIgnore
    public long totalIterations() {
        long n = 0;
        for (PlaneReport p : planes) n += p.iterations();
        return n;
    }

    /** The largest residual over solves (see {@link SolveStats#residual}); 0 when none is finite. */
    @JsonIgnore
    public double worstResidual() {
        double r = 0;
        for (PlaneReport p : planes) if (Double.isFinite(p.solve().residual())) r = Math.max(r, p.solve().residual());
        return r;
    }

    @JsonIgnore
    public boolean converged() {
        for (PlaneReport p : planes) if (!p.parameters().converged()) return false;
        return true;
    }

    /** The keys and values written into the result image's info (TIFF description, ImageJ Info). */
    @JsonIgnore
    public Map<String, String> imageInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("equilibria.method", method);
        info.put("equilibria.iterations", String.valueOf(first().iterations()));
        info.put("equilibria.device", device);
        if (channels != null) info.put("equilibria.channels", channels + " (solves listed channel by channel)");
        if (deblur != null) {
            info.put("equilibria.psf", deblur.psf());
            info.put("equilibria.boundary", deblur.boundary());
            info.put("equilibria.normalization", deblur.normalization());
            if (deblur.tiles() > 1) info.put("equilibria.tiling", deblur.tiling());
            if (deblur.warmStart() != null) info.put("equilibria.warmStart", deblur.warmStart().line());
            if (deblur.registration() != null) info.put("equilibria.registration", deblur.registration().line());
            if (deblur.volume() != null) info.put("equilibria.volume", deblur.volume().size() + ", voxel " + deblur.volume().voxelSize());
            if (deblur.volume() != null && deblur.volume().psfResampling() != null) {
                info.put("equilibria.psfResampling", deblur.volume().psfResampling());
            }
        } else {
            info.put("equilibria.operator", String.valueOf(first().operator()));
        }
        return info;
    }
}
