package dev.jvisor.gdbstub;

import dev.jvisor.vmm.ExitReason;

/** What a debugging session reacts to, in one queue: the debugger's input and the target's stops. */
sealed interface SessionEvent {
    /** A well-formed packet's data (between {@code $} and {@code #}, still escaped). */
    record Packet(byte[] data) implements SessionEvent {
        String text() {
            return new String(data, java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    /** The debugger sent the interrupt byte (Ctrl-C). */
    record Interrupt() implements SessionEvent {
    }

    /** The debugger rejected the last packet ({@code -}): send it again. */
    record Nack() implements SessionEvent {
    }

    /** The connection ended. */
    record Disconnected(String why) implements SessionEvent {
    }

    /** Every vCPU is stopped; {@code stop} says why. */
    record Stopped(StopRecord stop) implements SessionEvent {
    }

    /** The VM ended for good. */
    record Exited(ExitReason reason) implements SessionEvent {
    }
}
