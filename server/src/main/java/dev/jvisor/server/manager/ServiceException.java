package dev.jvisor.server.manager;

/**
 * A request the service refuses, with what kind of refusal it is (so each API can map it to its own
 * status code) and a message for the user that says what to change. Nothing was changed.
 */
public final class ServiceException extends Exception {
    /** Why the request was refused. */
    public enum Kind {
        /** The input is malformed or out of range. */
        INVALID,
        /** No such VM. */
        NOT_FOUND,
        /** The VM is in the wrong state for this action, or the name is taken. */
        CONFLICT,
        /** The host budget has no room for the VM (admission control). */
        INSUFFICIENT_RESOURCES,
        /** Building or starting the VM failed on the host (image missing, back end refused). */
        FAILED
    }

    private final Kind kind;

    public ServiceException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status for this kind (all client errors but {@link Kind#FAILED}, which is a 500 only when the host broke). */
    public int httpStatus() {
        return switch (kind) {
            case INVALID -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT, INSUFFICIENT_RESOURCES -> 409;
            case FAILED -> 422;
        };
    }
}
