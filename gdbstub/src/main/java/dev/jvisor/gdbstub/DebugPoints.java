package dev.jvisor.gdbstub;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.VcpuExit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The breakpoints and watchpoints GDB has inserted ({@code Z0}-{@code Z4}), shared by all vCPUs,
 * and the {@link DebugSettings} each vCPU gets from them. Software ({@code Z0}) and hardware
 * ({@code Z1}) breakpoints are both implemented by the back end without touching guest memory;
 * the kind is remembered only for the stop reply ({@code swbreak}/{@code hwbreak}).
 */
final class DebugPoints {
    private final Set<Long> software = new LinkedHashSet<>();
    private final Set<Long> hardware = new LinkedHashSet<>();
    private final List<DebugSettings.Watchpoint> watchpoints = new ArrayList<>();

    /** A copy, to roll back to when a back end refuses a change. */
    DebugPoints copy() {
        DebugPoints c = new DebugPoints();
        c.software.addAll(software);
        c.hardware.addAll(hardware);
        c.watchpoints.addAll(watchpoints);
        return c;
    }

    /** Makes this set equal to {@code other} (rolling back a refused change). */
    void restoreFrom(DebugPoints other) {
        software.clear();
        software.addAll(other.software);
        hardware.clear();
        hardware.addAll(other.hardware);
        watchpoints.clear();
        watchpoints.addAll(other.watchpoints);
    }

    /**
     * Applies a {@code Z}/{@code z} packet's type, address and kind (length).
     *
     * @return false for a type the stub does not know (GDB then gets an empty reply)
     */
    boolean change(boolean insert, int type, long address, int kind) {
        switch (type) {
            case 0 -> toggle(software, address, insert);
            case 1 -> toggle(hardware, address, insert);
            case 2, 3, 4 -> {
                if (kind < 1 || kind > 8) {
                    throw new ProtocolException("watchpoint length " + kind + " is not 1 to 8");
                }
                DebugSettings.Kind k = switch (type) {
                    case 2 -> DebugSettings.Kind.WRITE;
                    case 3 -> DebugSettings.Kind.READ;
                    default -> DebugSettings.Kind.ACCESS;
                };
                DebugSettings.Watchpoint w = new DebugSettings.Watchpoint(address, kind, k);
                watchpoints.remove(w);
                if (insert) {
                    watchpoints.add(w);
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void toggle(Set<Long> set, long address, boolean insert) {
        if (insert) {
            set.add(address);
        } else {
            set.remove(address);
        }
    }

    DebugSettings settings(boolean singleStep) {
        Set<Long> all = new LinkedHashSet<>(software);
        all.addAll(hardware);
        return new DebugSettings(singleStep, List.copyOf(all), watchpoints);
    }

    boolean isSoftwareBreakpoint(long address) {
        return software.contains(address);
    }

    /** The kind of the watchpoint at {@code address} (the first, if several share it), or null. */
    DebugSettings.Kind watchKind(long address) {
        for (DebugSettings.Watchpoint w : watchpoints) {
            if (w.address() == address) {
                return w.kind();
            }
        }
        return null;
    }

    /** Whether an event held back during a stop still corresponds to something inserted. */
    boolean stillInserted(VcpuExit.Debug event) {
        return switch (event.reason()) {
            case BREAKPOINT -> software.contains(event.address()) || hardware.contains(event.address());
            case WATCHPOINT -> watchKind(event.address()) != null;
            case STEP -> true;
        };
    }

    void clear() {
        software.clear();
        hardware.clear();
        watchpoints.clear();
    }
}
