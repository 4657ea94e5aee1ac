package dev.jvisor.hypervisor;

/** A back end could not do what was asked; the message says what and why (ioctl and errno for KVM). */
public class HypervisorException extends RuntimeException {
    public HypervisorException(String message) {
        super(message);
    }

    public HypervisorException(String message, Throwable cause) {
        super(message, cause);
    }
}
