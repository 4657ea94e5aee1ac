package dev.jvisor.io.sys;

import java.io.IOException;

/** A C library call failed; carries errno and the C library's message for it. */
public final class NativeException extends IOException {
    private final int errno;

    public NativeException(String what, int errno, String message) {
        super(what + " failed: " + message + " (errno " + errno + ")");
        this.errno = errno;
    }

    /** The C errno value. */
    public int errno() {
        return errno;
    }
}
