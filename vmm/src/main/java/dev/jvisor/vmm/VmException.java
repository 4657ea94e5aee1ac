package dev.jvisor.vmm;

/** A VM cannot be built or started; the message is meant for the user as it is. */
public final class VmException extends Exception {
    public VmException(String message) {
        super(message);
    }

    public VmException(String message, Throwable cause) {
        super(message, cause);
    }
}
