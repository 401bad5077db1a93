package io.equilibria.batch;

import io.equilibria.errors.Setting;

import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;
import io.equilibria.errors.OutputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Input/output pairing for file-or-directory commands. A file maps to the output path; a directory maps each
 * selected image to the same relative path under the output directory with a {@code .tif} extension. Never lets an
 * output replace an input.
 */
public final class BatchPlan {
    /** One image to process; {@code relative} is its path below the input directory (the file name for one file). */
    public record Job(Path input, Path relative, Path output) {}

    private BatchPlan() {}

    /** Every selected job, sorted by relative path, before sharding. */
    public static List<Job> all(Path input, Path output, Selection selection) {
        if (!Files.exists(input)) throw new InputException(input, "no such file or directory");
        List<Job> jobs = new ArrayList<>();
        if (Files.isDirectory(input)) {
            if (Files.exists(output) && !Files.isDirectory(output)) {
                throw new OutputException(output, "input is a directory, so " + Setting.OUTPUT + " must be a directory");
            }
            try (Stream<Path> s = Files.walk(input, selection.recursive() ? Integer.MAX_VALUE : 1)) {
                s.filter(Files::isRegularFile).filter(ImageFiles::isImageFile).map(input::relativize)
                        .filter(selection::accepts).sorted().forEach(rel ->
                                jobs.add(new Job(input.resolve(rel), rel, output.resolve(rel).resolveSibling(tifName(rel.getFileName().toString())))));
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new InputException(input, "cannot list directory: " + e.getMessage());
            }
            if (jobs.isEmpty()) {
                throw new InputException(input, "no TIFF, PNG or JPEG image " + (selection.recursive() ? "below" : "in")
                        + " this directory matches" + (selection.includes().isEmpty() ? "" : " " + Setting.INCLUDE + " " + selection.includes())
                        + (selection.excludes().isEmpty() ? "" : " " + Setting.EXCLUDE + " " + selection.excludes())
                        + (selection.recursive() ? "" : " (turn on " + Setting.RECURSIVE + " to descend into subdirectories)"));
            }
        } else {
            jobs.add(new Job(input, input.getFileName(), output));
        }
        for (Job j : jobs) guard(j.input(), j.output());
        return jobs;
    }

    /** This shard's jobs. */
    public static List<Job> plan(Path input, Path output, Selection selection) {
        return selection.shard().select(all(input, output, selection));
    }

    public static String tifName(String name) {
        int dot = name.lastIndexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name) + ".tif";
    }

    /** Refuses to write over an input file. */
    public static void guard(Path input, Path output) {
        try {
            if (output.toAbsolutePath().normalize().equals(input.toAbsolutePath().normalize())
                    || (Files.exists(output) && Files.isSameFile(input, output))) {
                throw new OutputException(output, "is the input file; refusing to overwrite an input");
            }
        } catch (IOException e) {
            throw new OutputException(output, "cannot check output: " + e.getMessage());
        }
    }

    /** The reference image for a job: the same relative path under {@code referenceDir}, any image extension. */
    public static Path reference(Path referenceDir, Path relative) {
        Path same = referenceDir.resolve(relative);
        if (Files.isRegularFile(same)) return same;
        String name = relative.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        Path dir = same.getParent();
        for (String ext : List.of("tif", "tiff", "png", "jpg", "jpeg", "TIF", "TIFF", "PNG")) {
            Path p = dir.resolve(stem + "." + ext);
            if (Files.isRegularFile(p)) return p;
        }
        throw new InputException(same, "no reference image for " + relative + " (looked for " + stem + ".tif/.png/... in " + dir + ")");
    }
}
