package dev.jvisor.machine.boot;

/**
 * A kernel, initrd, module or command line could not be loaded; the message says which input is
 * wrong and why, in terms a user can act on.
 */
public final class KernelLoadException extends Exception {
    public KernelLoadException(String message) {
        super(message);
    }

    public KernelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
