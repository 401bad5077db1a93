package io.equilibria.errors;

/** A request that cannot be run as given: which setting is wrong, and why, in the core's words (see {@link Setting}). */
public class InvalidRequestException extends IllegalArgumentException {
    private final Setting setting;

    public InvalidRequestException(Setting setting, String problem) {
        super(setting.phrase() + " " + problem);
        this.setting = setting;
    }

    public Setting setting() { return setting; }
}
