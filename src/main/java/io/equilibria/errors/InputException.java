package io.equilibria.errors;

import java.nio.file.Path;

/** Bad input data: a message that names the file and the problem, for a one-line error and a non-zero exit. */
public class InputException extends RuntimeException {
    public InputException(String message) { super(message); }
    public InputException(Path file, String problem) { super(file + ": " + problem); }
    public InputException(Path file, String problem, Throwable cause) { super(file + ": " + problem, cause); }
}
