package io.equilibria.errors;

/** The requested device cannot be used; never answered by a silent fallback. */
public class DeviceException extends RuntimeException {
    public DeviceException(String message) { super(message); }
    public DeviceException(String message, Throwable cause) { super(message, cause); }
}
