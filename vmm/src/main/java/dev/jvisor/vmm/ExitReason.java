package dev.jvisor.vmm;

import dev.jvisor.hypervisor.CrashReport;

/** Why a VM stopped running. */
public sealed interface ExitReason {
    /** A one-line description for the user. */
    String describe();

    /** The exit status the {@code run} command uses for this reason. */
    int exitStatus();

    /** The guest powered the machine off (ACPI S5). */
    record PowerOff() implements ExitReason {
        public String describe() {
            return "the guest powered off";
        }

        public int exitStatus() {
            return 0;
        }
    }

    /** The guest asked for a reset (reboot); jvisor ends the VM instead of restarting it. */
    record Reset(String how) implements ExitReason {
        public String describe() {
            return "the guest rebooted (" + how + ")";
        }

        public int exitStatus() {
            return 2;
        }
    }

    /** A vCPU shut down (triple fault) or halted for good with interrupts disabled. */
    record GuestShutdown(String detail) implements ExitReason {
        public String describe() {
            return "the guest CPU shut down: " + detail;
        }

        public int exitStatus() {
            return 4;
        }
    }

    /** The back end failed for this VM (KVM entry failure, emulator invariant). */
    record Crashed(int vcpu, CrashReport report) implements ExitReason {
        public String describe() {
            return "vCPU " + vcpu + " crashed: " + report;
        }

        public int exitStatus() {
            return 6;
        }
    }

    /**
     * The guest wrote {@code value} to a debug-exit port (QEMU's isa-debug-exit): the status is
     * {@code (value << 1) | 1}, of which the host keeps the low 8 bits.
     */
    record DebugExit(long value) implements ExitReason {
        public String describe() {
            return String.format("the guest wrote 0x%x to the debug-exit port", value);
        }

        public int exitStatus() {
            return dev.jvisor.devices.testing.DebugExitDevice.exitStatus(value);
        }
    }

    /** Somebody outside the guest stopped it (the console's escape key, the API). */
    record Stopped(String by) implements ExitReason {
        public String describe() {
            return "stopped by " + by;
        }

        public int exitStatus() {
            return 0;
        }
    }
}
