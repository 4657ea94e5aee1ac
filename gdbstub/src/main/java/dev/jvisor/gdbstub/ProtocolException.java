package dev.jvisor.gdbstub;

/** A packet from the debugger that does not follow the protocol; the stub answers it with an error. */
final class ProtocolException extends RuntimeException {
    ProtocolException(String message) {
        super(message);
    }
}
