package dev.jvisor.hypervisor;

import java.util.List;

/**
 * What a debugger asks of a vCPU (GDB's breakpoints, watchpoints and single-step): see
 * {@link Vcpu#setDebug}. Addresses are guest linear (virtual) addresses.
 *
 * @param singleStep  stop after every instruction ({@link VcpuExit.Debug})
 * @param breakpoints stop before executing an instruction at one of these addresses
 * @param watchpoints stop after an instruction that accessed one of these ranges
 */
public record DebugSettings(boolean singleStep, List<Long> breakpoints, List<Watchpoint> watchpoints) {
    /** No debugging: the vCPU runs at full speed. */
    public static final DebugSettings NONE = new DebugSettings(false, List.of(), List.of());

    public DebugSettings {
        breakpoints = List.copyOf(breakpoints);
        watchpoints = List.copyOf(watchpoints);
    }

    public boolean active() {
        return singleStep || !breakpoints.isEmpty() || !watchpoints.isEmpty();
    }

    /** A watched range of {@code length} bytes (1-8) at {@code address}. */
    public record Watchpoint(long address, int length, Kind kind) {
        public Watchpoint {
            if (length < 1 || length > 8) {
                throw new IllegalArgumentException("a watchpoint covers 1 to 8 bytes, not " + length);
            }
        }
    }

    /** Which accesses a watchpoint reports (GDB's watch, rwatch, awatch). */
    public enum Kind {
        WRITE, READ, ACCESS;

        public boolean matches(boolean write) {
            return this == ACCESS || (write ? this == WRITE : this == READ);
        }
    }
}
