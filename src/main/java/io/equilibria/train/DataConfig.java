package io.equilibria.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a reconstruction trainer trains and validates on ({@link TrainingData}).
 *
 * @param patch              training patch side
 * @param batch              patches per step
 * @param folder             folder of natural images, or null for phantoms only
 * @param phantomFraction    with a folder: share of phantom patches
 * @param exclude            file-name globs left out of training and validation (case-insensitive)
 * @param validationFraction share of the folder's files held out (by name hash)
 * @param validationImages   validation images per source (phantoms; natural)
 * @param validationSize     side of the validation images
 */
public record DataConfig(int patch, int batch, Path folder, double phantomFraction, List<String> exclude,
                         double validationFraction, int validationImages, int validationSize) {
    /** Evaluation images that must never be trained on. */
    public static final List<String> DEFAULT_EXCLUDE = List.of("*camera*", "*cell_qpi*");
    public static final double DEFAULT_PHANTOM_FRACTION = 0.5, DEFAULT_VALIDATION_FRACTION = 0.1;
    public static final int DEFAULT_VALIDATION_SIZE = 128;

    public DataConfig {
        if (patch < 8 || patch > 1024) throw new IllegalArgumentException("patch must be in [8, 1024], got " + patch);
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (!(phantomFraction >= 0 && phantomFraction <= 1)) throw new IllegalArgumentException("phantom fraction must be in [0, 1], got " + phantomFraction);
        if (!(validationFraction > 0 && validationFraction < 1)) throw new IllegalArgumentException("validation fraction must be in (0, 1)");
        if (validationImages < 1) throw new IllegalArgumentException("validation images must be >= 1");
        if (validationSize < 16) throw new IllegalArgumentException("validation size must be >= 16");
        exclude = List.copyOf(exclude);
    }

    /** The share of phantom patches: all of them without a folder. */
    public double phantomShare() {
        return folder == null ? 1.0 : phantomFraction;
    }

    /** The settings' data part, in the order model cards list it (patch and batch go first, the rest later). */
    Map<String, Object> sourceSettings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", folder == null ? null : folder.toAbsolutePath().normalize().toString());
        m.put("phantomFraction", phantomShare());
        m.put("exclude", exclude);
        return m;
    }
}
