package io.equilibria.cli;

import io.equilibria.image.ImageFiles;
import io.equilibria.image.InputException;
import io.equilibria.image.OutputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Input/output pairing for file-or-directory commands; never lets an output replace an input. */
final class Outputs {
    private Outputs() {}

    record Job(Path input, Path output) {}

    /** A file maps to {@code output}; a directory maps every image below it to the same relative path under
     * {@code output}, with a {@code .tif} extension. */
    static List<Job> plan(Path input, Path output) {
        if (!Files.exists(input)) throw new InputException(input, "no such file or directory");
        List<Job> jobs = new ArrayList<>();
        if (Files.isDirectory(input)) {
            if (Files.exists(output) && !Files.isDirectory(output)) {
                throw new OutputException(output, "input is a directory, so --output must be a directory");
            }
            try (Stream<Path> s = Files.walk(input)) {
                s.filter(Files::isRegularFile).filter(ImageFiles::isImageFile).sorted().forEach(p -> {
                    Path rel = input.relativize(p);
                    jobs.add(new Job(p, output.resolve(rel).resolveSibling(tifName(rel.getFileName().toString()))));
                });
            } catch (IOException e) {
                throw new InputException(input, "cannot list directory: " + e.getMessage());
            }
            if (jobs.isEmpty()) throw new InputException(input, "directory holds no TIFF, PNG or JPEG images");
        } else {
            jobs.add(new Job(input, output));
        }
        for (Job j : jobs) guard(j.input(), j.output());
        return jobs;
    }

    static String tifName(String name) {
        int dot = name.lastIndexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name) + ".tif";
    }

    /** Refuses to write over an input file. */
    static void guard(Path input, Path output) {
        try {
            if (output.toAbsolutePath().normalize().equals(input.toAbsolutePath().normalize())
                    || (Files.exists(output) && Files.isSameFile(input, output))) {
                throw new OutputException(output, "is the input file; refusing to overwrite an input");
            }
        } catch (IOException e) {
            throw new OutputException(output, "cannot check output: " + e.getMessage());
        }
    }
}
