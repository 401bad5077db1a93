package io.equilibria.image;

/** Physical pixel size and unit carried from input to output (ImageJ's calibration, minus the display parts). */
public record Calibration(double pixelWidth, double pixelHeight, double pixelDepth, String unit, double frameInterval,
                          String timeUnit) {
    public static Calibration none() {
        return new Calibration(1, 1, 1, "pixel", 0, "sec");
    }

    public boolean isCalibrated() {
        return unit != null && !unit.equals("pixel") && !unit.isEmpty();
    }
}
