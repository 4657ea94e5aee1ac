package dev.jvisor.server.manager;

import java.util.Locale;

/**
 * Where a VM is in its lifecycle: {@code created → running ⇄ paused → stopped}, with {@code crashed}
 * when the guest or its back end failed (triple fault, emulator or KVM failure). A stopped or crashed
 * VM may be started again; only a VM that is not running or paused may be deleted (unless forced).
 */
public enum VmState {
    CREATED, RUNNING, PAUSED, STOPPED, CRASHED;

    /** The lower-case name used by the API. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the VM holds host resources (memory, threads, files). */
    public boolean active() {
        return this == RUNNING || this == PAUSED;
    }
}
