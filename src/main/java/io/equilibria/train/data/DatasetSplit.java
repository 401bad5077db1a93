package io.equilibria.train.data;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Train/validation split by a hash of each file's base name (lower case, without extension), not by position:
 * a file stays on its side when files are added, removed or listed in another order, on every machine, and
 * {@code cell7.tif} and {@code cell7.png} (or the same name in two sub-folders) can never straddle the split.
 */
public record DatasetSplit(List<Path> train, List<Path> validation) {
    public DatasetSplit {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
    }

    /** Splits the usable image files under {@code folder} (see {@link PatchSampler#listImages}). */
    public static DatasetSplit of(Path folder, double validationFraction) {
        return of(PatchSampler.listImages(folder), validationFraction);
    }

    public static DatasetSplit of(List<Path> files, double validationFraction) {
        List<Path> train = new ArrayList<>(), validation = new ArrayList<>();
        for (Path p : files) (isValidation(p, validationFraction) ? validation : train).add(p);
        return new DatasetSplit(train, validation);
    }

    public static boolean isValidation(Path file, double validationFraction) {
        if (!(validationFraction >= 0 && validationFraction <= 1))
            throw new IllegalArgumentException("validation fraction must be in [0, 1]");
        return unitHash(key(file)) < validationFraction;
    }

    static String key(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    /** First 53 bits of SHA-256 as a number in [0, 1): stable across JVMs, unlike String.hashCode's spread. */
    static double unitHash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) v = (v << 8) | (d[i] & 0xff);
            return (v >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
