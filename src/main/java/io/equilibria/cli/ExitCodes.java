package io.equilibria.cli;

/** Exit codes of every command (documented in the README). */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;        // unexpected internal error
    public static final int USAGE = 2;          // wrong options or arguments
    public static final int BAD_INPUT = 3;      // unreadable/invalid image, PSF or measurement
    public static final int NUMERICAL = 4;      // divergence or non-finite result
    public static final int OUTPUT = 5;         // cannot write the output
    public static final int DEVICE = 6;         // requested device unavailable
    public static final int PARTIAL = 7;        // a batch finished but some items failed
    public static final int MEMORY = 8;         // out of memory (lower --max-memory to tile more finely)

    private ExitCodes() {}
}
