package io.equilibria.image.registration;

/** A registration that failed or whose confidence is too low to trust: the frames are not aligned, and the user is told. */
public class RegistrationException extends io.equilibria.errors.InputException {
    public RegistrationException(String message) { super(message); }

    public RegistrationException(String message, Throwable cause) {
        super(message);
        initCause(cause);
    }
}
