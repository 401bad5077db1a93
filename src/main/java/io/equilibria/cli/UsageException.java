package io.equilibria.cli;

/** Wrong command-line words: exit code 2 with the command's usage hint. */
public class UsageException extends RuntimeException {
    public UsageException(String message) { super(message); }
}
