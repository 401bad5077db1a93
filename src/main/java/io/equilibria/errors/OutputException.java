package io.equilibria.errors;

import java.nio.file.Path;

/** An output cannot be written (directory missing and not creatable, not writable, disk full, would overwrite input). */
public class OutputException extends RuntimeException {
    public OutputException(Path file, String problem) { super(file + ": " + problem); }
}
