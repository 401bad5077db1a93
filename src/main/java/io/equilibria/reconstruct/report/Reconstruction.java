package io.equilibria.reconstruct.report;

import io.equilibria.image.ImageData;

/** A reconstructed image, in input units, and how it was made. */
public record Reconstruction(ImageData image, ReconstructionReport report) {
    /** {@code image} as the result of {@code report}: its info replaced by the report's (method, iterations, PSF, ...). */
    public static Reconstruction described(ImageData image, ReconstructionReport report) {
        image.info().clear();
        image.info().putAll(report.imageInfo());
        return new Reconstruction(image, report);
    }

    /** Channels reconstructed one by one, as one multi-channel image (ImageJ's plane order) and one report. */
    public static Reconstruction ofChannels(java.util.List<Reconstruction> each) {
        if (each.size() == 1) return each.get(0);
        ImageData image = ImageData.ofChannels(each.stream().map(Reconstruction::image).toList());
        ReconstructionReport report = ReconstructionReport.ofChannels(each.stream().map(Reconstruction::report).toList());
        image.info().putAll(report.imageInfo());
        return new Reconstruction(image, report);
    }
}
