package dev.jvisor.conformance.backend;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.conformance.GuestVm;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.CtrlReg;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.SegReg;
import dev.jvisor.testkit.TinyGuest;
import org.junit.jupiter.api.Test;

/**
 * CPU modes, exceptions and privilege changes, the same on every back end: a boot-loader style
 * switch from real mode through protected mode to long mode; exceptions through 32- and 64-bit IDT
 * gates with their error codes, CR2 and faulting RIP (#DE, #UD, #GP from bad selectors, #PF for
 * not-present, read-only and supervisor pages); IRETQ to CPL3 and back through INT3 and faults;
 * SYSCALL/SYSRET.
 */
abstract class CpuModeSuite extends BackendSuite {
    /** Where fault handlers find the address to resume at. */
    static final long RESUME = 0x3000;
    /** 2 MiB pages made not present, read-only and supervisor-only by the tests (second GiB of the map). */
    static final long NOT_PRESENT = 0x4000_0000L, READ_ONLY = 0x4020_0000L, SUPERVISOR = 0x4040_0000L;
    static final int EFER = 0xc000_0080;

    /**
     * Whether SYSCALL from CPL3 enters CPL0 on this back end. It does architecturally; the
     * software-nested KVM of the development hosts keeps the handler at CPL3 (PLATFORM.md).
     */
    protected boolean syscallEntersCpl0() {
        return true;
    }

    /**
     * Whether IRET works in 32-bit protected mode on this back end. It does architecturally; the
     * software-nested KVM runs 32-bit code in the host kernel's instruction emulator, which
     * implements IRET for real mode only and stops with an internal error otherwise.
     */
    protected boolean protectedModeIretWorks() {
        return true;
    }

    /** Real mode → protected mode → long mode, as a boot loader does it (SDM Vol. 3A §9.9 and §10.8.5). */
    @Test
    void realModeSwitchesToProtectedThenLongMode() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        Label pm = a.newLabel("pm");
        Label lm = a.newLabel("lm");
        a.cli();
        report(a, 16);
        // The GDT pseudo-descriptor sits above 64 KiB: reach it through DS.
        a.mov(AX, (int) (TinyGuest.GDTR_POINTER >> 4) & 0xf000).mov(SegReg.DS, AX)
                .lgdt(Mem.abs(TinyGuest.GDTR_POINTER & 0xffff));
        a.mov(EAX, CtrlReg.CR0).or(EAX, 1).mov(CtrlReg.CR0, EAX);
        a.jmpFarDword(TinyGuest.KERNEL_CS32, pm);
        a.bits(32).bind(pm);
        a.mov(AX, TinyGuest.KERNEL_DS).mov(SegReg.DS, AX).mov(SegReg.ES, AX).mov(SegReg.SS, AX).mov(ESP, 0x80000);
        report(a, 32);
        a.mov(EAX, CtrlReg.CR4).or(EAX, (int) SystemRegisters.CR4_PAE).mov(CtrlReg.CR4, EAX);
        a.mov(EAX, TinyGuest.PML4).mov(CtrlReg.CR3, EAX);
        a.mov(ECX, EFER).rdmsr().or(EAX, (int) SystemRegisters.EFER_LME).wrmsr();
        a.mov(EAX, CtrlReg.CR0).or(EAX, 0x8000_0000L).mov(CtrlReg.CR0, EAX);
        a.jmpFar(TinyGuest.KERNEL_CS64, lm);
        a.bits(64).bind(lm);
        a.mov(RAX, 0x1234_5678_9abc_def0L).out(REPORT32, EAX).shr(RAX, 32).out(REPORT32, EAX);
        a.mov(ECX, EFER).rdmsr().out(REPORT32, EAX);
        exit(a, 64);
        try (GuestVm vm = bootAndRun(TinyGuest.realMode().load(a))) {
            assertThat(vm.machine().outs(REPORT32)).containsExactly(16L, 32L, 0x9abc_def0L, 0x1234_5678L,
                    SystemRegisters.EFER_LME | SystemRegisters.EFER_LMA);
            SystemRegisters s = vm.vcpu().getSystemRegisters();
            assertThat(s.cs().l()).as("64-bit code segment").isTrue();
            assertThat(s.cs().selector()).isEqualTo(TinyGuest.KERNEL_CS64);
            assertThat(s.efer() & SystemRegisters.EFER_LMA).isNotZero();
            assertThat(s.cr0() & (SystemRegisters.CR0_PG | SystemRegisters.CR0_PE)).isEqualTo(SystemRegisters.CR0_PG | SystemRegisters.CR0_PE);
        }
    }

    /** #DE through a 32-bit interrupt gate: the frame's EIP is the faulting DIV (a fault, SDM Vol. 3A §6.5). */
    @Test
    void divideErrorThroughA32BitGate() {
        Asm a = new Asm(32, TinyGuest.CODE);
        Label handler = a.newLabel("de");
        a.mov(EAX, 10).xor(ECX, ECX).xor(EDX, EDX);
        Label div = a.here();
        a.div(ECX);
        exit(a, 1);
        a.bind(handler).mov(EAX, Mem.at(ESP)).out(REPORT32, EAX).mov(EAX, Mem.at(ESP, 4)).out(REPORT32, EAX);
        exit(a, 0);
        TinyGuest guest = TinyGuest.protectedMode().load(a).interruptGate(0, a.addressOf(handler));
        try (GuestVm vm = bootAndRun(guest)) {
            assertThat(vm.machine().outs(REPORT32)).containsExactly(a.addressOf(div), (long) TinyGuest.KERNEL_CS32);
            assertThat(vm.machine().exitValue(0)).isZero();
        }
    }

    /**
     * Exceptions in 64-bit mode with their error codes (SDM Vol. 3A §6.13, §6.15): #DE; #UD; #GP
     * with the selector as error code for a selector beyond the GDT limit and for a TSS selector
     * loaded into ES; #PF with CR2 and error code for a write to a not-present page (0x2), a write
     * to a read-only page with CR0.WP set (0x3), and a read of a not-present page (0x0).
     */
    @Test
    void exceptionsInLongModeReportVectorErrorCodeAndCr2() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label[] at = new Label[7];
        step(a, at, 0, () -> a.xor(ECX, ECX), () -> a.div(ECX));
        step(a, at, 1, () -> { }, a::ud2);
        step(a, at, 2, () -> a.mov(AX, 0x1230), () -> a.mov(SegReg.DS, AX));
        step(a, at, 3, () -> a.mov(AX, TinyGuest.TSS_SELECTOR), () -> a.mov(SegReg.ES, AX));
        step(a, at, 4, () -> { }, () -> a.mov(Mem.abs(NOT_PRESENT + 0x234), EAX));
        step(a, at, 5, () -> { }, () -> a.mov(Mem.abs(READ_ONLY + 0x10), EAX));
        step(a, at, 6, () -> { }, () -> a.mov(EAX, Mem.abs(NOT_PRESENT + 8)));
        exit(a, 0);
        TinyGuest guest = TinyGuest.longMode().load(a);
        faultHandlers(a, guest, 0, 6, 13, 14);
        guest.load(a);
        try (GuestVm vm = boot(guest)) {
            pages(vm.memory());
            runToExit(vm);
            assertThat(vm.machine().outs(REPORT32)).containsExactly(
                    0L, low(a, at[0]),
                    6L, low(a, at[1]),
                    13L, 0x1230L, low(a, at[2]),
                    13L, (long) TinyGuest.TSS_SELECTOR, low(a, at[3]),
                    14L, 2L, NOT_PRESENT + 0x234, low(a, at[4]),
                    14L, 3L, READ_ONLY + 0x10, low(a, at[5]),
                    14L, 0L, NOT_PRESENT + 8, low(a, at[6]));
        }
    }

    /**
     * IRETQ from CPL0 to CPL3 and back: INT3 (a trap through a DPL-3 gate), a #PF on a supervisor
     * page (error code 0x5: present, user) and #UD each enter CPL0 on the TSS's RSP0 with the user
     * CS, SS and RIP in the frame (SDM Vol. 3A §6.12.1, §6.14.2).
     */
    @Test
    void iretqToUserModeAndBackThroughExceptions() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label user = a.newLabel("user");
        Label afterPf = a.newLabel("afterPf");
        Label bp = a.newLabel("bp");
        Label pf = a.newLabel("pf");
        Label ud = a.newLabel("ud");
        iretqTo(a, user);
        a.bind(user).mov(AX, SegReg.CS).movzx(EAX, AX).out(REPORT32, EAX);
        a.int3();
        Label afterInt3 = a.here();
        a.lea(RAX, Mem.rip(afterPf)).mov(Mem.abs(RESUME), RAX);
        Label userRead = a.here();
        a.mov(EAX, Mem.abs(SUPERVISOR + 0x40));
        a.bind(afterPf).ud2();
        a.hlt();
        // #BP: CPL, then the frame: RIP (after INT3), CS, SS.
        a.bind(bp).mov(AX, SegReg.CS).movzx(EAX, AX).out(REPORT32, EAX);
        a.mov(RAX, Mem.at(RSP)).out(REPORT32, EAX).mov(RAX, Mem.at(RSP, 8)).out(REPORT32, EAX)
                .mov(RAX, Mem.at(RSP, 32)).out(REPORT32, EAX).iretq();
        // #PF: error code, CR2, faulting RIP; resume after the load.
        a.bind(pf).pop(RAX).out(REPORT32, EAX).mov(RAX, CtrlReg.CR2).out(REPORT32, EAX).mov(RAX, Mem.at(RSP)).out(REPORT32, EAX)
                .mov(RAX, Mem.abs(RESUME)).mov(Mem.at(RSP), RAX).iretq();
        // #UD: the faulting RIP and CS, then done.
        a.bind(ud).mov(RAX, Mem.at(RSP)).out(REPORT32, EAX).mov(RAX, Mem.at(RSP, 8)).out(REPORT32, EAX);
        exit(a, 0x33);
        TinyGuest guest = TinyGuest.longMode().load(a).allowUserPorts(REPORT32, 4)
                .interruptGate(3, a.addressOf(bp), 3).interruptGate(14, a.addressOf(pf)).interruptGate(6, a.addressOf(ud));
        try (GuestVm vm = boot(guest)) {
            pages(vm.memory());
            assertThat(runToExit(vm)).isEqualTo(0x33);
            long userCs = TinyGuest.USER_CS64, userDs = TinyGuest.USER_DS;
            assertThat(vm.machine().outs(REPORT32)).containsExactly(
                    userCs,                                                   // CPL3 code segment
                    (long) TinyGuest.KERNEL_CS64, low(a, afterInt3), userCs, userDs,
                    5L, SUPERVISOR + 0x40, low(a, userRead),
                    low(a, afterPf), userCs);
        }
    }

    /**
     * IRETD to CPL3 in 32-bit protected mode, and back to CPL0 through a #UD: the CPU switches to
     * SS0:ESP0 from the TSS and pushes the user SS, ESP, EFLAGS, CS and EIP (SDM Vol. 3A §6.12.1).
     */
    @Test
    void iretdToUserModeAndBackInProtectedMode() {
        assumeTrue(protectedModeIretWorks(), "IRET in protected mode does not run on this back end's host");
        Asm a = new Asm(32, TinyGuest.CODE);
        Label user = a.newLabel("user");
        Label ud = a.newLabel("ud");
        long userStack = 0x60000;
        a.push(TinyGuest.USER_DS).push(userStack).push(0x2).push(TinyGuest.USER_CS32).mov(EAX, user).push(EAX).iretd();
        a.bind(user).mov(AX, SegReg.CS).movzx(EAX, AX).out(REPORT32, EAX);
        Label fault = a.here();
        a.ud2();
        a.bind(ud).mov(EAX, Mem.at(ESP)).out(REPORT32, EAX)          // EIP
                .mov(EAX, Mem.at(ESP, 4)).out(REPORT32, EAX)             // CS
                .mov(EAX, Mem.at(ESP, 12)).out(REPORT32, EAX)            // ESP
                .mov(EAX, Mem.at(ESP, 16)).out(REPORT32, EAX)            // SS
                .mov(EAX, ESP).out(REPORT32, EAX);                        // kernel ESP after the 5-word frame
        exit(a, 0x32);
        TinyGuest guest = TinyGuest.protectedMode().load(a).allowUserPorts(REPORT32, 4)
                .interruptGate(6, a.addressOf(ud));
        try (GuestVm vm = bootAndRun(guest)) {
            assertThat(vm.machine().outs(REPORT32)).containsExactly((long) TinyGuest.USER_CS32, low(a, fault),
                    (long) TinyGuest.USER_CS32, userStack, (long) TinyGuest.USER_DS, TinyGuest.KERNEL_STACK_TOP - 20);
        }
    }

    /** SYSCALL enters CPL0 with the return RIP in RCX and RFLAGS in R11; SYSRETQ returns to CPL3 (SDM Vol. 2B). */
    @Test
    void syscallAndSysretqCrossPrivilegeLevels() {
        assumeTrue(syscallEntersCpl0(), "SYSCALL stays at CPL3 on this back end's host (PLATFORM.md)");
        Asm a = new Asm(64, TinyGuest.CODE);
        Label user = a.newLabel("user");
        Label entry = a.newLabel("syscall");
        Label ud = a.newLabel("ud");
        iretqTo(a, user);
        a.bind(user).stc().syscall();
        Label afterSyscall = a.here();
        a.mov(AX, SegReg.CS).movzx(EAX, AX).out(REPORT32, EAX).ud2();
        a.bind(entry).mov(AX, SegReg.CS).movzx(EAX, AX).out(REPORT32, EAX)
                .mov(EAX, ECX).out(REPORT32, EAX).mov(EAX, R11D).and(EAX, 1).out(REPORT32, EAX).sysretq();
        a.bind(ud);
        exit(a, 0x5c);
        TinyGuest guest = TinyGuest.longMode().load(a).allowUserPorts(REPORT32, 4).syscallHandler(a.addressOf(entry))
                .interruptGate(6, a.addressOf(ud));
        try (GuestVm vm = bootAndRun(guest)) {
            assertThat(vm.machine().outs(REPORT32)).containsExactly((long) TinyGuest.KERNEL_CS64, low(a, afterSyscall), 1L,
                    (long) TinyGuest.USER_CS64);
        }
    }

    /** Builds an IRETQ frame to 64-bit CPL3 code at {@code target} with the user stack (SDM Vol. 2A IRET). */
    static void iretqTo(Asm a, Label target) {
        a.push(TinyGuest.USER_DS).push(TinyGuest.USER_STACK_TOP).push(0x2).push(TinyGuest.USER_CS64);
        a.lea(RAX, Mem.rip(target)).push(RAX).iretq();
    }

    /** One faulting step: store its resume address, set up, run the faulting instruction, bind the resume point. */
    private static void step(Asm a, Label[] at, int i, Runnable setup, Runnable faulting) {
        Label resume = a.newLabel("resume" + i);
        a.lea(RAX, Mem.rip(resume)).mov(Mem.abs(RESUME), RAX);
        setup.run();
        at[i] = a.here();
        faulting.run();
        a.bind(resume);
    }

    /**
     * Handlers that report vector, error code (if any), CR2 (for #PF) and the faulting RIP, then
     * resume at the address in {@link #RESUME}. Emitted after the main code of {@code a}.
     */
    private static void faultHandlers(Asm a, TinyGuest guest, int... vectors) {
        for (int v : vectors) {
            long address = a.address();
            guest.interruptGate(v, address);
            report(a, v);
            if (v == 13 || v == 14) {
                a.pop(RAX).out(REPORT32, EAX);
            }
            if (v == 14) {
                a.mov(RAX, CtrlReg.CR2).out(REPORT32, EAX);
            }
            a.mov(RAX, Mem.at(RSP)).out(REPORT32, EAX).mov(RAX, Mem.abs(RESUME)).mov(Mem.at(RSP), RAX).iretq();
        }
    }

    /** Makes the test pages: NOT_PRESENT absent, READ_ONLY not writable, SUPERVISOR without the user bit. */
    static void pages(GuestMemory memory) {
        long pd = TinyGuest.PAGE_DIRECTORIES + 4096;     // the page directory of the second GiB
        edit(memory, pd, NOT_PRESENT, ~1L);
        edit(memory, pd, READ_ONLY, ~2L);
        edit(memory, pd, SUPERVISOR, ~4L);
    }

    private static void edit(GuestMemory memory, long pd, long address, long mask) {
        long entry = pd + ((address >>> 21) & 511) * 8;
        memory.writeU64(entry, memory.readU64(entry) & mask);
    }

    static long low(Asm a, Label l) {
        return a.addressOf(l) & 0xffff_ffffL;
    }
}
