package dev.jvisor.conformance.backend;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.conformance.GuestVm;
import dev.jvisor.conformance.TestMachine;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Interrupts delivered by the platform the back end provides (KVM's in-kernel irqchip, the
 * emulator's irqchip module), programmed by the guest itself: a device line through the 8259 PIC
 * and through the IOAPIC and local APIC, the 8254 PIT and the local APIC timer, each waking a
 * guest halted with the race-free {@code cli; test; sti; hlt} idiom (STI delays interrupts by one
 * instruction, SDM Vol. 2B STI), and an external interrupt taken at CPL3 and returned from with IRETQ.
 */
abstract class InterruptSuite extends BackendSuite {
    static final long FLAG = 0x3000;
    static final long LAPIC = 0xfee0_0000L, IOAPIC = 0xfec0_0000L;
    static final int PIC_BASE = 0x20, DEVICE_IRQ = 5, DEVICE_GSI = 10, IOAPIC_VECTOR = 0x40, TIMER_VECTOR = 0x41;
    static final int DONE = 0x42;
    /** Long enough that the guest is surely halted when the line rises. */
    static final Duration RAISE_DELAY = Duration.ofMillis(20);

    /** A device on PIC IRQ 5 wakes a real-mode guest from HLT (Intel 8259A datasheet: ICW1–ICW4, OCW1, OCW2). */
    @Test
    void picInterruptWakesAHaltedRealModeGuest() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        Label handler = a.newLabel("irq");
        initPic(a, ~(1 << DEVICE_IRQ));
        a.out(TestMachine.DOORBELL_PORT, AL);
        waitForFlag(a);
        a.bind(handler).mov(Mem.abs(FLAG).bytePtr(), 1);
        report(a, PIC_BASE + DEVICE_IRQ);
        a.mov(AL, 0x20).out(0x20, AL).iret();           // OCW2: non-specific EOI
        TinyGuest guest = TinyGuest.realMode().load(a).interruptGate(PIC_BASE + DEVICE_IRQ, a.addressOf(handler));
        assertWokenBy(guest, DEVICE_IRQ, PIC_BASE + DEVICE_IRQ);
    }

    /**
     * A device on GSI 10 routed by the guest through the IOAPIC (Intel 82093AA datasheet §3.2.4:
     * redirection entry 0x10 + 2n) to the local APIC, with the legacy PIC masked, wakes a long-mode
     * guest; the handler ends it with an EOI to the local APIC (SDM Vol. 3A §11.8.5).
     */
    @Test
    void ioapicInterruptWakesAHaltedLongModeGuest() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label handler = a.newLabel("irq");
        maskPic(a);
        enableLocalApic(a);
        routeGsi(a, DEVICE_GSI, IOAPIC_VECTOR);
        a.out(TestMachine.DOORBELL_PORT, AL);
        waitForFlag(a);
        a.bind(handler).mov(Mem.abs(FLAG).bytePtr(), 1);
        report(a, IOAPIC_VECTOR);
        eoi(a).iretq();
        TinyGuest guest = TinyGuest.longMode().load(a).interruptGate(IOAPIC_VECTOR, a.addressOf(handler));
        assertWokenBy(guest, DEVICE_GSI, IOAPIC_VECTOR);
    }

    /** The back end's own 8254 (channel 0, mode 0: interrupt on terminal count) wakes a halted guest on IRQ 0. */
    @Test
    void pitTimerWakesAHaltedRealModeGuest() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        Label handler = a.newLabel("timer");
        initPic(a, ~1);
        a.mov(AL, 0x30).out(0x43, AL);                  // channel 0, lobyte/hibyte, mode 0, binary
        a.mov(AL, 0x00).out(0x40, AL).mov(AL, 0x20).out(0x40, AL);    // count 0x2000: about 7 ms
        waitForFlag(a);
        a.bind(handler).mov(Mem.abs(FLAG).bytePtr(), 1);
        report(a, PIC_BASE);
        a.mov(AL, 0x20).out(0x20, AL).iret();
        TinyGuest guest = TinyGuest.realMode().load(a).interruptGate(PIC_BASE, a.addressOf(handler));
        assertWokenBy(guest, -1, PIC_BASE);
    }

    /** The local APIC timer in one-shot mode (SDM Vol. 3A §11.5.4) wakes a halted long-mode guest. */
    @Test
    void localApicTimerWakesAHaltedLongModeGuest() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label handler = a.newLabel("timer");
        maskPic(a);
        enableLocalApic(a);
        a.mov(RBX, LAPIC).mov(Mem.at(RBX, 0x3e0).dwordPtr(), 0xb)        // divide by 1
                .mov(Mem.at(RBX, 0x320).dwordPtr(), TIMER_VECTOR)          // LVT timer: one-shot, unmasked
                .mov(Mem.at(RBX, 0x380).dwordPtr(), 1_000_000);             // initial count
        waitForFlag(a);
        a.bind(handler).mov(Mem.abs(FLAG).bytePtr(), 1);
        report(a, TIMER_VECTOR);
        eoi(a).iretq();
        TinyGuest guest = TinyGuest.longMode().load(a).interruptGate(TIMER_VECTOR, a.addressOf(handler));
        assertWokenBy(guest, -1, TIMER_VECTOR);
    }

    /**
     * An external interrupt arriving while CPL3 code spins enters CPL0 through the IDT with the user
     * CS in the frame; IRETQ returns to the spinning code, which then sees the handler's flag.
     */
    @Test
    void externalInterruptAtCpl3ReturnsWithIretq() {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label user = a.newLabel("user");
        Label handler = a.newLabel("irq");
        Label ud = a.newLabel("ud");
        maskPic(a);
        enableLocalApic(a);
        routeGsi(a, DEVICE_GSI, IOAPIC_VECTOR);
        a.push(TinyGuest.USER_DS).push(TinyGuest.USER_STACK_TOP).push(0x202).push(TinyGuest.USER_CS64);
        a.lea(RAX, Mem.rip(user)).push(RAX).iretq();
        a.bind(user).out(TestMachine.DOORBELL_PORT, AL);
        Label spin = a.here();
        a.cmp(Mem.abs(FLAG).bytePtr(), 0).j(Cond.E, spin).ud2();
        a.bind(handler).mov(RAX, Mem.at(RSP, 8)).out(REPORT32, EAX).mov(Mem.abs(FLAG).bytePtr(), 1);
        eoi(a).iretq();
        a.bind(ud);
        exit(a, DONE);
        TinyGuest guest = TinyGuest.longMode().load(a).allowUserPorts(TestMachine.DOORBELL_PORT, 1)
                .interruptGate(IOAPIC_VECTOR, a.addressOf(handler)).interruptGate(6, a.addressOf(ud));
        assertWokenBy(guest, DEVICE_GSI, TinyGuest.USER_CS64);
    }

    /**
     * Boots the guest; when it rings the doorbell, raises an edge on {@code gsi} (if not -1) a little
     * later from another thread; expects the handler's one report and the guest's exit code.
     */
    private void assertWokenBy(TinyGuest guest, int gsi, long handlerReport) {
        try (GuestVm vm = boot(guest)) {
            if (gsi >= 0) {
                vm.machine().onDoorbell(value -> GuestVm.later(RAISE_DELAY, () -> vm.vm().interrupts().pulse(gsi)));
            }
            assertThat(runToExit(vm)).isEqualTo(DONE);
            assertThat(vm.machine().outs(REPORT32)).as("the interrupt handler ran once").containsExactly(handlerReport);
        }
    }

    /** Says nothing, waits in HLT until the handler sets FLAG, then exits with DONE. */
    private static void waitForFlag(Asm a) {
        Label wait = a.newLabel("wait");
        Label done = a.newLabel("done");
        a.bind(wait).cli().cmp(Mem.abs(FLAG).bytePtr(), 0).j(Cond.NE, done).sti().hlt().jmp(wait);
        a.bind(done);
        exit(a, DONE);
    }

    /** ICW1–ICW4 for the master 8259 (vectors from PIC_BASE), then OCW1 with {@code mask}; the slave stays masked. */
    private static void initPic(Asm a, int mask) {
        a.mov(AL, 0x11).out(0x20, AL).mov(AL, PIC_BASE).out(0x21, AL).mov(AL, 0x04).out(0x21, AL).mov(AL, 0x01).out(0x21, AL);
        a.mov(AL, mask & 0xff).out(0x21, AL).mov(AL, 0xff).out(0xa1, AL);
    }

    /** Masks both 8259s, as an APIC-mode OS does first. */
    private static void maskPic(Asm a) {
        a.mov(AL, 0xff).out(0x21, AL).out(0xa1, AL);
    }

    /** Software-enables the local APIC: spurious-interrupt vector register bit 8 (SDM Vol. 3A §11.9). */
    private static void enableLocalApic(Asm a) {
        a.mov(RBX, LAPIC).mov(Mem.at(RBX, 0xf0).dwordPtr(), 0x1ff);
    }

    /** IOAPIC redirection entry for {@code gsi}: fixed, physical destination 0, edge, active high, unmasked. */
    private static void routeGsi(Asm a, int gsi, int vector) {
        a.mov(RBX, IOAPIC);
        a.mov(Mem.at(RBX).dwordPtr(), 0x10 + 2 * gsi).mov(Mem.at(RBX, 0x10).dwordPtr(), vector);
        a.mov(Mem.at(RBX).dwordPtr(), 0x11 + 2 * gsi).mov(Mem.at(RBX, 0x10).dwordPtr(), 0);
    }

    private static Asm eoi(Asm a) {
        return a.mov(RBX, LAPIC).mov(Mem.at(RBX, 0xb0).dwordPtr(), 0);
    }
}
