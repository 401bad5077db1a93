package io.equilibria.errors;

/** A reconstruction does not fit in memory; the message says which option lowers the need. */
public class MemoryException extends RuntimeException {
    public MemoryException(String message) { super(message); }
    public MemoryException(String message, Throwable cause) { super(message, cause); }

    /** Whether a native (PyTorch) error is an allocation failure. */
    public static boolean isAllocationFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) return true;
            String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
            if (m.contains("out of memory") || m.contains("failed to allocate") || m.contains("bad_alloc")
                    || m.contains("defaultcpuallocator")) return true;
        }
        return false;
    }
}
