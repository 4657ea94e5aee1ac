package dev.jvisor.gdbstub;

import dev.jvisor.hypervisor.VcpuExit;

/**
 * Why the target stopped, for the stop reply: the vCPU that stopped it and its debug event, or an
 * interrupt (Ctrl-C, a debugger attaching) when {@code event} is null.
 *
 * @param signal the POSIX signal number GDB is told (5 SIGTRAP for debug events, 2 SIGINT)
 */
record StopRecord(int vcpu, VcpuExit.Debug event, int signal) {
    static final int SIGINT = 2, SIGTRAP = 5;

    static StopRecord interrupt(int vcpu) {
        return new StopRecord(vcpu, null, SIGINT);
    }

    static StopRecord trap(int vcpu) {
        return new StopRecord(vcpu, null, SIGTRAP);
    }

    static StopRecord debug(int vcpu, VcpuExit.Debug event) {
        return new StopRecord(vcpu, event, SIGTRAP);
    }
}
