package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.memory.GuestMemory;

/** Checks shared by the loader tests: entry CPU state and the boot structures in memory. */
final class BootAssertions {
    private BootAssertions() {
    }

    /** Long mode as boot.rst's 64-bit protocol requires, with the GDT and page tables in memory. */
    static void assertLongModeEntry(BootSetup setup, GuestMemory memory, long entry) {
        assertThat(setup.entryPoint()).isEqualTo(entry);
        assertThat(setup.registers().rip()).isEqualTo(entry);
        assertThat(setup.registers().rsi()).isEqualTo(ZERO_PAGE);
        assertThat(setup.registers().rflags()).isEqualTo(2);
        SystemRegisters s = setup.systemRegisters();
        assertThat(s.cr0() & (SystemRegisters.CR0_PE | SystemRegisters.CR0_PG))
                .isEqualTo(SystemRegisters.CR0_PE | SystemRegisters.CR0_PG);
        assertThat(s.cr4() & SystemRegisters.CR4_PAE).isNotZero();
        assertThat(s.efer()).isEqualTo(SystemRegisters.EFER_LME | SystemRegisters.EFER_LMA);
        assertThat(s.cr3()).isEqualTo(BOOT_PML4);
        assertThat(s.cs().selector()).isEqualTo(0x10);
        assertThat(s.cs().l()).isTrue();
        assertThat(s.cs().db()).isFalse();
        for (var data : new dev.jvisor.hypervisor.Segment[]{s.ds(), s.es(), s.ss()}) {
            assertThat(data.selector()).isEqualTo(0x18);
            assertThat(data.base()).isZero();
            assertThat(data.limit()).isEqualTo(0xFFFF_FFFF);
        }
        assertGdt(setup, memory);
        // Identity map with 2 MiB pages over the first 4 GiB, including the kernel and zero page.
        for (long address : new long[]{0, ZERO_PAGE, CMDLINE, entry, 0x3FF0_0000L, 0xBFFF_F000L, 0xFFFF_F000L}) {
            assertThat(translate(memory, s.cr3(), address)).as("translation of 0x%x", address).isEqualTo(address);
        }
    }

    /** 32-bit protected mode, paging off, flat segments, interrupts off. */
    static void assertProtectedModeEntry(BootSetup setup, GuestMemory memory, long entry, long eax, long ebx) {
        assertThat(setup.registers().rip()).isEqualTo(entry);
        assertThat(setup.registers().rax()).isEqualTo(eax);
        assertThat(setup.registers().rbx()).isEqualTo(ebx);
        assertThat(setup.registers().rflags() & (1 << 9)).as("IF").isZero();
        SystemRegisters s = setup.systemRegisters();
        assertThat(s.cr0() & SystemRegisters.CR0_PE).isNotZero();
        assertThat(s.cr0() & SystemRegisters.CR0_PG).isZero();
        assertThat(s.cr4()).isZero();
        assertThat(s.efer()).isZero();
        assertThat(s.cs().db()).isTrue();
        assertThat(s.cs().l()).isFalse();
        assertThat(s.cs().base()).isZero();
        assertThat(s.cs().limit()).isEqualTo(0xFFFF_FFFF);
        assertThat(s.ds().db()).isTrue();
        assertThat(s.tr().limit()).isEqualTo(0x67);
        assertGdt(setup, memory);
    }

    /** The GDT in memory holds descriptors matching the loaded segment registers. */
    static void assertGdt(BootSetup setup, GuestMemory memory) {
        SystemRegisters s = setup.systemRegisters();
        assertThat(s.gdt().base()).isEqualTo(BOOT_GDT);
        assertThat(s.gdt().limit()).isEqualTo(4 * 8 - 1);
        long cs = memory.readU64(BOOT_GDT + s.cs().selector());
        long ds = memory.readU64(BOOT_GDT + s.ds().selector());
        assertThat((cs >>> 40) & 0xFF).as("code access byte").isEqualTo(0x9B);
        assertThat((cs >>> 53) & 1).as("L bit").isEqualTo(s.cs().l() ? 1 : 0);
        assertThat((cs >>> 54) & 1).as("D bit").isEqualTo(s.cs().db() ? 1 : 0);
        assertThat((ds >>> 40) & 0xFF).as("data access byte").isEqualTo(0x93);
    }

    /** Walks 4-level page tables (Intel SDM Vol. 3A §4.5), accepting only 2 MiB leaf pages. */
    static long translate(GuestMemory memory, long cr3, long linear) {
        long pml4e = memory.readU64(cr3 + ((linear >>> 39) & 511) * 8);
        assertThat(pml4e & 1).isEqualTo(1);
        long pdpte = memory.readU64((pml4e & 0x000F_FFFF_FFFF_F000L) + ((linear >>> 30) & 511) * 8);
        assertThat(pdpte & 1).isEqualTo(1);
        assertThat(pdpte & 0x80).as("no 1 GiB pages").isZero();
        long pde = memory.readU64((pdpte & 0x000F_FFFF_FFFF_F000L) + ((linear >>> 21) & 511) * 8);
        assertThat(pde & 0x83).as("present, writable, 2 MiB").isEqualTo(0x83);
        return (pde & 0x000F_FFFF_FFE0_0000L) | (linear & 0x1F_FFFFL);
    }
}
