package io.equilibria.errors;

import io.equilibria.errors.InputException;

import java.nio.file.Path;

/** A model that cannot be found, read or trusted: one line naming the file and the problem (exit code 3). */
public class ModelException extends InputException {
    public ModelException(String message) { super(message); }
    public ModelException(Path file, String problem) { super(file, problem); }
    public ModelException(Path file, String problem, Throwable cause) { super(file, problem, cause); }
}
