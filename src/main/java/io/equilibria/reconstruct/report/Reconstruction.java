package io.equilibria.reconstruct.report;

import io.equilibria.image.ImageData;

/** A reconstructed image, in input units, and how it was made. */
public record Reconstruction(ImageData image, ReconstructionReport report) {}
