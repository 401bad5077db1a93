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
 * selected image to the same relative path under the output directory with a {@code .tif} extension, and so does a
 * list of images (a text file, one path per line). Never lets an output replace an input.
 */
public final class BatchPlan {
    /** One image to process; {@code relative} is its path below the input directory (the file name for one file). */
    public record Job(Path input, Path relative, Path output) {}

    private BatchPlan() {}

    /**
     * Whether {@code input} is a list of images rather than an image: a text file ({@code .txt}, {@code .lst},
     * {@code .list}) naming one image per line.
     */
    public static boolean isList(Path input) {
        String n = input.getFileName() == null ? "" : input.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return Files.isRegularFile(input) && (n.endsWith(".txt") || n.endsWith(".lst") || n.endsWith(".list"));
    }

    /** Whether {@code input} names many images (a folder or a list), each mirrored under an output folder. */
    public static boolean isBatch(Path input) {
        return Files.isDirectory(input) || isList(input);
    }

    /** Every selected job, sorted by relative path, before sharding. */
    public static List<Job> all(Path input, Path output, Selection selection) {
        if (!Files.exists(input)) throw new InputException(input, "no such file or directory");
        List<Job> jobs = new ArrayList<>();
        if (isBatch(input) && Files.exists(output) && !Files.isDirectory(output)) {
            throw new OutputException(output, "input is " + (isList(input) ? "a list of images" : "a directory") + ", so "
                    + Setting.OUTPUT + " must be a directory");
        }
        if (isList(input)) {
            jobs.addAll(listed(input, output, selection));
        } else if (Files.isDirectory(input)) {
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

    /**
     * The images a list names, one path per line (blank lines and lines starting with # skipped; a relative path is
     * relative to the list's folder). Each output mirrors the path as written (an absolute one without its root), so
     * a list spanning folders keeps them apart. A listed file that does not exist stays a job: it fails when read and
     * is reported, like any unreadable image of a batch, and the rest go on. Duplicates count once.
     */
    private static List<Job> listed(Path list, Path output, Selection selection) {
        List<String> lines;
        try {
            lines = Files.readAllLines(list);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new InputException(list, "cannot read the list of images: " + e.getMessage());
        }
        Path base = list.toAbsolutePath().getParent();
        java.util.Map<Path, Job> jobs = new java.util.TreeMap<>();
        for (String line : lines) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) continue;
            Path p = Path.of(t);
            Path rel = (p.isAbsolute() ? p.getRoot().relativize(p) : p).normalize();
            if (rel.toString().isEmpty() || rel.startsWith("..")) {
                throw new InputException(list, "line '" + t + "': a listed path must name a file below the list's folder or be absolute");
            }
            if (!selection.accepts(rel)) continue;
            jobs.putIfAbsent(rel, new Job(p.isAbsolute() ? p : base.resolve(p), rel, output.resolve(rel).resolveSibling(tifName(rel.getFileName().toString()))));
        }
        if (jobs.isEmpty()) throw new InputException(list, "names no image" + (selection.equals(Selection.ALL) ? "" : " that the selection keeps"));
        return new ArrayList<>(jobs.values());
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
