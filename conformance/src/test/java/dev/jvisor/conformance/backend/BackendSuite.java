package dev.jvisor.conformance.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.conformance.Backend;
import dev.jvisor.conformance.GuestVm;
import dev.jvisor.conformance.TestMachine;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Reg;
import dev.jvisor.testkit.TinyGuest;
import java.time.Duration;

/**
 * What the back-end conformance suites share: the back end under test (given by each subclass,
 * Netty-transport-test style), booting tiny guests, and bounded runs to the guest's exit port.
 * CPL0, real-mode and 32-bit guests stay small (PLATFORM.md: the nested KVM emulates them at a few
 * million instructions per second).
 */
abstract class BackendSuite {
    /** Generous for CPL0 code emulated by the host kernel; a healthy guest takes milliseconds. */
    static final Duration WATCHDOG = Duration.ofSeconds(30);
    static final long RAM = 4 << 20;
    /** Ports the guests use to report values; any port the machine model does not claim would do. */
    static final int REPORT = 0xe0, REPORT16 = 0xe2, REPORT32 = 0xe4;

    /** The back end under test. */
    protected abstract Backend backend();

    GuestVm boot(TinyGuest guest) {
        return GuestVm.boot(backend(), guest, RAM);
    }

    /** Runs until the guest writes the exit port; returns the value written. */
    static long runToExit(GuestVm vm) {
        GuestVm.Run run = vm.run(WATCHDOG);
        assertThat(run.watchdogFired()).as("the guest did not finish within %s (watchdog kick); accesses: %s", WATCHDOG,
                vm.machine().accesses()).isFalse();
        assertThat(run.exit()).as("run() result; accesses: %s", vm.machine().accesses()).isEqualTo(VcpuExit.KICKED);
        Long value = vm.machine().exitValue(0);
        assertThat(value).as("the guest wrote the exit port").isNotNull();
        return value;
    }

    /** Boots {@code guest}, runs it to its exit port and returns the VM for inspection (caller closes). */
    GuestVm bootAndRun(TinyGuest guest) {
        GuestVm vm = boot(guest);
        try {
            runToExit(vm);
            return vm;
        } catch (RuntimeException | AssertionError e) {
            vm.close();
            throw e;
        }
    }

    /** Appends "mov al, code; out EXIT_PORT, al". */
    static Asm exit(Asm a, int code) {
        return a.mov(Reg.AL, code).out(TestMachine.EXIT_PORT, Reg.AL);
    }

    /** Appends "mov eax, value; out REPORT32, eax" (clobbers EAX). */
    static Asm report(Asm a, long value) {
        return a.mov(Reg.EAX, value).out(REPORT32, Reg.EAX);
    }

    /** Appends "out REPORT32, eax" after moving {@code r} (a 32-bit register) into EAX. */
    static Asm reportRegister(Asm a, Reg r) {
        if (r != Reg.EAX) {
            a.mov(Reg.EAX, r);
        }
        return a.out(REPORT32, Reg.EAX);
    }
}
