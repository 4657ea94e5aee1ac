package dev.jvisor.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.memory.GuestMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The structures {@link TinyGuest} writes and the start state it returns. */
class TinyGuestTest {
    private GuestMemory memory;

    @BeforeEach
    void map() {
        memory = GuestMemory.flat(1 << 20);
    }

    @AfterEach
    void unmap() {
        memory.close();
    }

    @Test
    void gdtHoldsTheFlatDescriptorsEveryLoaderUses() {
        TinyGuest.longMode().build(memory);
        // The same values as Linux's boot GDT (arch/x86/boot/pm.c, head_64.S): base 0, limit 4 GiB.
        assertThat(memory.readU64(TinyGuest.GDT + TinyGuest.KERNEL_CS32)).isEqualTo(0x00cf9b000000ffffL);
        assertThat(memory.readU64(TinyGuest.GDT + TinyGuest.KERNEL_CS64)).isEqualTo(0x00af9b000000ffffL);
        assertThat(memory.readU64(TinyGuest.GDT + TinyGuest.KERNEL_DS)).isEqualTo(0x00cf93000000ffffL);
        assertThat(memory.readU64(TinyGuest.GDT + (TinyGuest.USER_CS64 & ~3))).isEqualTo(0x00affb000000ffffL);
        assertThat(memory.readU64(TinyGuest.GDT + (TinyGuest.USER_DS & ~3))).isEqualTo(0x00cff3000000ffffL);
        long tss = memory.readU64(TinyGuest.GDT + TinyGuest.TSS_SELECTOR);
        assertThat(tss >>> 40 & 0xff).as("busy 64-bit TSS, present").isEqualTo(0x8b);
        assertThat((tss >>> 16 & 0xffffff) | (tss >>> 56) << 24).isEqualTo(TinyGuest.TSS);
        assertThat(memory.readU16(TinyGuest.GDTR_POINTER)).isEqualTo(0x57);
        assertThat(memory.readU64(TinyGuest.GDTR_POINTER + 2)).isEqualTo(TinyGuest.GDT);
    }

    @Test
    void longModeIdentityMapsFourGibWithTwoMibPages() {
        GuestBoot boot = TinyGuest.longMode().build(memory);
        SystemRegisters s = boot.systemRegisters();
        assertThat(s.cr3()).isEqualTo(TinyGuest.PML4);
        assertThat(s.efer() & (SystemRegisters.EFER_LME | SystemRegisters.EFER_LMA))
                .isEqualTo(SystemRegisters.EFER_LME | SystemRegisters.EFER_LMA);
        assertThat(s.cr0() & SystemRegisters.CR0_PG).isNotZero();
        assertThat(s.cr4() & SystemRegisters.CR4_PAE).isNotZero();
        for (long va : new long[]{0, 0x1234_5678L, 0xfee0_0000L, 0xffff_ffffL}) {
            assertThat(translate(va)).as("0x%x", va).isEqualTo(va);
        }
    }

    @Test
    void longModeKernelStartUsesRingZeroSelectorsAndAnEmptyIdt() {
        Asm code = new Asm(64, TinyGuest.CODE).hlt();
        GuestBoot boot = TinyGuest.longMode().load(code).build(memory);
        assertThat(boot.registers().rip()).isEqualTo(TinyGuest.CODE);
        assertThat(boot.registers().rsp()).isEqualTo(TinyGuest.KERNEL_STACK_TOP);
        assertThat(boot.systemRegisters().cs().selector()).isEqualTo(TinyGuest.KERNEL_CS64);
        assertThat(boot.systemRegisters().cs().l()).isTrue();
        assertThat(boot.systemRegisters().idt().limit()).isZero();
        assertThat(boot.systemRegisters().tr().selector()).isEqualTo(TinyGuest.TSS_SELECTOR);
        assertThat(memory.readU8(TinyGuest.CODE)).isEqualTo(0xf4);
        assertThat(boot.msrs()).isEmpty();
    }

    @Test
    void userModeStartsAtCplThreeWithKernelStackAndPortsInTheTss() {
        GuestBoot boot = TinyGuest.longMode().userMode().allowUserPorts(0x3f8, 8).syscallHandler(0x20000)
                .interruptGate(0x80, 0x30000, 3).interruptsEnabled().build(memory);
        var s = boot.systemRegisters();
        assertThat(s.cs().selector()).isEqualTo(TinyGuest.USER_CS64);
        assertThat(s.cs().dpl()).isEqualTo(3);
        assertThat(s.ss().selector()).isEqualTo(TinyGuest.USER_DS);
        assertThat(s.ss().dpl()).isEqualTo(3);
        assertThat(boot.registers().rsp()).isEqualTo(TinyGuest.USER_STACK_TOP);
        assertThat(boot.registers().rflags() & (1 << 9)).isNotZero();
        assertThat(memory.readU64(TinyGuest.TSS + 4)).as("RSP0").isEqualTo(TinyGuest.KERNEL_STACK_TOP);
        int ioMap = memory.readU16(TinyGuest.TSS + 0x66);
        assertThat(memory.readU8(TinyGuest.TSS + ioMap + (0x3f8 >> 3))).as("ports 0x3f8-0x3ff allowed").isZero();
        assertThat(memory.readU8(TinyGuest.TSS + ioMap + (0x3f0 >> 3))).as("ports 0x3f0-0x3f7 denied").isEqualTo(0xff);
        assertThat(memory.readU8(TinyGuest.TSS + ioMap + 8192)).as("terminating byte").isEqualTo(0xff);
        assertThat(s.tr().limit()).isEqualTo(ioMap + 8192);
        // Interrupt gate for vector 0x80: offset 0x30000, selector KERNEL_CS64, P=1 DPL=3 type 0xE.
        long low = memory.readU64(TinyGuest.IDT + 0x80 * 16);
        assertThat(low & 0xffff | (low >>> 48) << 16).isEqualTo(0x30000);
        assertThat(low >>> 16 & 0xffff).isEqualTo(TinyGuest.KERNEL_CS64);
        assertThat(low >>> 40 & 0xff).isEqualTo(0xee);
        assertThat(s.idt().limit()).isEqualTo(4095);
        assertThat(s.efer() & SystemRegisters.EFER_SCE).isNotZero();
        assertThat(boot.msrs()).containsEntry(TinyGuest.MSR_LSTAR, 0x20000L)
                .containsEntry(TinyGuest.MSR_STAR, 0x0023_0010_0000_0000L);
    }

    @Test
    void protectedModeUsesThirtyTwoBitGatesAndFlatSegments() {
        GuestBoot boot = TinyGuest.protectedMode().interruptGate(0x20, 0x12345).build(memory);
        var s = boot.systemRegisters();
        assertThat(s.cr0() & (SystemRegisters.CR0_PE | SystemRegisters.CR0_PG)).isEqualTo(SystemRegisters.CR0_PE);
        assertThat(s.cs().db()).isTrue();
        assertThat(s.cs().selector()).isEqualTo(TinyGuest.KERNEL_CS32);
        assertThat(s.ds().limit()).isEqualTo(0xffff_ffff);
        assertThat(s.idt().limit()).isEqualTo(0x7ff);
        long gate = memory.readU64(TinyGuest.IDT + 0x20 * 8);
        assertThat(gate & 0xffff | (gate >>> 48) << 16).isEqualTo(0x12345);
        assertThat(gate >>> 40 & 0xff).isEqualTo(0x8e);
        assertThat(memory.readU16(TinyGuest.TSS + 8)).as("SS0").isEqualTo(TinyGuest.KERNEL_DS);
    }

    @Test
    void realModeStartsAtSegmentZeroWithAnIvt() {
        Asm code = new Asm(16, TinyGuest.REAL_CODE).hlt();
        GuestBoot boot = TinyGuest.realMode().load(code).interruptGate(8, 0x1234).interruptGate(9, 0x23456).build(memory);
        var s = boot.systemRegisters();
        assertThat(s.cs().selector()).isZero();
        assertThat(s.cs().base()).isZero();
        assertThat(s.cr0() & SystemRegisters.CR0_PE).isZero();
        assertThat(s.idt()).isEqualTo(new dev.jvisor.hypervisor.DescriptorTable(0, 0x3ff));
        assertThat(boot.registers().rip()).isEqualTo(TinyGuest.REAL_CODE);
        assertThat(memory.readU32(8 * 4)).as("0000:1234").isEqualTo(0x0000_1234L);
        assertThat(memory.readU32(9 * 4)).as("2000:3456").isEqualTo(0x2000_3456L);
        long tss = memory.readU64(TinyGuest.GDT + TinyGuest.TSS_SELECTOR);
        assertThat(tss >>> 40 & 0xff).as("available TSS, for the guest's own LTR").isEqualTo(0x89);
    }

    @Test
    void badRequestsAreRejected() {
        assertThatThrownBy(() -> TinyGuest.longMode().load(TinyGuest.PML4 + 8, new byte[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlaps");
        assertThatThrownBy(() -> TinyGuest.realMode().userMode()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> TinyGuest.protectedMode().syscallHandler(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> TinyGuest.realMode().entry(0x100000).build(memory)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TinyGuest.longMode().interruptGate(256, 0)).isInstanceOf(IllegalArgumentException.class);
        try (GuestMemory small = GuestMemory.flat(0x40000)) {
            assertThatThrownBy(() -> TinyGuest.longMode().build(small)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("RAM");
        }
    }

    /** Walks the 4-level tables the way the MMU does for a 2 MiB page (SDM Vol. 3A §4.5.4). */
    private long translate(long va) {
        long pml4e = memory.readU64(TinyGuest.PML4 + (va >>> 39 & 511) * 8);
        assertThat(pml4e & 1).isEqualTo(1);
        long pdpte = memory.readU64((pml4e & 0x000f_ffff_ffff_f000L) + (va >>> 30 & 511) * 8);
        assertThat(pdpte & 1).isEqualTo(1);
        long pde = memory.readU64((pdpte & 0x000f_ffff_ffff_f000L) + (va >>> 21 & 511) * 8);
        assertThat(pde & 0x81).isEqualTo(0x81);
        return (pde & 0x000f_ffff_ffe0_0000L) | (va & 0x1f_ffff);
    }
}
