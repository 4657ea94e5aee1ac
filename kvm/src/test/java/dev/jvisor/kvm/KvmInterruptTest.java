package dev.jvisor.kvm;

import static dev.jvisor.kvm.KvmTestSupport.boot;
import static dev.jvisor.kvm.KvmTestSupport.exit;
import static dev.jvisor.kvm.KvmTestSupport.runBounded;
import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.kvm.KvmTestSupport.TestVm;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A halted guest is woken by an interrupt through the in-kernel irqchip: KVM_IRQ_LINE and irqfd into
 * the 8259 PIC, and an MSI into the local APIC. Each guest says it is ready, then waits with the
 * race-free {@code cli; test; sti; hlt} idiom (STI delays interrupts by one instruction, SDM Vol. 2B
 * STI), so an interrupt raised at any moment is taken in or before the HLT.
 */
class KvmInterruptTest {
    private static final int IRQ = 5, PIC_BASE_VECTOR = 0x20, HANDLER_PORT = 0xe0, MSI_VECTOR = 0x40;
    private static final long FLAG = 0x3000;

    /** Real mode: program the master 8259 (ICW1–4, SDM-independent: Intel 8259A datasheet), unmask IRQ 5. */
    private static TinyGuest picGuest() {
        Asm a = new Asm(16, TinyGuest.REAL_CODE);
        Label handler = a.newLabel("handler");
        a.mov(AL, 0x11).out(0x20, AL)                  // ICW1: edge triggered, cascade, ICW4 follows
                .mov(AL, PIC_BASE_VECTOR).out(0x21, AL) // ICW2: IRQ0 -> vector 0x20
                .mov(AL, 0x04).out(0x21, AL)            // ICW3: slave on IRQ2
                .mov(AL, 0x01).out(0x21, AL)            // ICW4: 8086 mode
                .mov(AL, ~(1 << IRQ) & 0xff).out(0x21, AL); // OCW1: mask all but IRQ 5
        waitForFlag(a);
        a.bind(handler).mov(Mem.abs(FLAG).bytePtr(), 1).mov(AL, 1).out(HANDLER_PORT, AL)
                .mov(AL, 0x20).out(0x20, AL)            // OCW2: non-specific EOI
                .iret();
        return TinyGuest.realMode().load(a).interruptGate(PIC_BASE_VECTOR + IRQ, a.addressOf(handler));
    }

    /** Says READY, waits in HLT until the handler sets FLAG, then exits. */
    private static void waitForFlag(Asm a) {
        Label wait = a.newLabel("wait");
        Label done = a.newLabel("done");
        a.out(TestOps.READY_PORT, AL);
        a.bind(wait).cli().cmp(Mem.abs(FLAG).bytePtr(), 0).j(Cond.NE, done).sti().hlt().jmp(wait);
        a.bind(done);
        exit(a, 0x42);
    }

    @Test
    void irqLineWakesAHaltedRealModeGuest() throws Exception {
        assertWokenBy(picGuest(), t -> t.vm().interrupts().pulse(IRQ));
    }

    @Test
    void irqfdWakesAHaltedRealModeGuest() throws Exception {
        KvmEventFd[] irqfd = new KvmEventFd[1];
        assertWokenBy(picGuest(), t -> {
            if (irqfd[0] == null) {
                irqfd[0] = t.vm().attachIrqfd(IRQ);
            }
            irqfd[0].signal();
        });
    }

    @Test
    void msiWakesAHaltedLongModeGuestThroughTheLocalApic() throws Exception {
        Asm a = new Asm(64, TinyGuest.CODE);
        Label handler = a.newLabel("handler");
        // Software-enable the local APIC: spurious-vector register (offset 0xF0) bit 8, SDM Vol. 3A §11.9.
        a.mov(RBX, 0xfee0_0000L).mov(Mem.at(RBX, 0xf0).dwordPtr(), 0x1ff);
        waitForFlag(a);
        a.bind(handler).mov(Mem.abs(FLAG).bytePtr(), 1).mov(AL, 1).out(HANDLER_PORT, AL)
                .mov(Mem.at(RBX, 0xb0).dwordPtr(), 0)   // EOI register
                .iretq();
        TinyGuest guest = TinyGuest.longMode().load(a).interruptGate(MSI_VECTOR, a.addressOf(handler));
        // Address 0xFEE00000: destination APIC ID 0, physical mode; data: fixed delivery, edge, vector.
        assertWokenBy(guest, t -> t.vm().interrupts().signalMsi(0xfee0_0000L, MSI_VECTOR));
    }

    private static void assertWokenBy(TinyGuest guest, Consumer<TestVm> raise) throws Exception {
        try (TestVm t = boot(guest)) {
            CompletableFuture<VcpuExit> exit = new CompletableFuture<>();
            Thread vcpuThread = Thread.ofPlatform().name("vcpu-0").start(() -> {
                try {
                    exit.complete(runBounded(t, t.vcpu()));
                } catch (Throwable e) {
                    exit.completeExceptionally(e);
                }
            });
            try {
                assertThat(t.ops().ready.await(KvmTestSupport.WATCHDOG.toSeconds(), TimeUnit.SECONDS))
                        .as("guest reached its wait loop").isTrue();
                raise.accept(t);
                assertThat(exit.get(KvmTestSupport.WATCHDOG.toSeconds() + 10, TimeUnit.SECONDS)).isEqualTo(VcpuExit.KICKED);
            } finally {
                vcpuThread.join();
            }
            assertThat(t.ops().accesses("out", HANDLER_PORT)).as("the interrupt handler ran").hasSize(1);
            assertThat(t.ops().exitValues).containsEntry(0, 0x42L);
        }
    }
}
