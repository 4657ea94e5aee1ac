package dev.jvisor.machine.boot;

import static dev.jvisor.machine.PlatformLayout.*;
import static dev.jvisor.hypervisor.SystemRegisters.*;

import dev.jvisor.hypervisor.DescriptorTable;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.Segment;
import dev.jvisor.hypervisor.SystemRegisters;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The CPU state and the small in-memory structures (GDT, identity page tables) a kernel expects at
 * its entry point.
 *
 * <p>One GDT serves every entry mode: 0x08 is a flat 32-bit code segment (Multiboot and PVH only
 * ask for "a 32-bit read/execute segment with base 0 and limit 4 GiB"), 0x10 is the flat 64-bit
 * code segment boot.rst calls {@code __BOOT_CS} and 0x18 the flat data segment it calls
 * {@code __BOOT_DS}. The segment registers' hidden parts are loaded to match the descriptors, as if
 * the selectors had been loaded from this GDT.
 */
final class BootCpuState {
    /** Selector of the flat 32-bit code segment. */
    static final int CODE32_SELECTOR = 0x08;
    /** Selector of the flat 64-bit code segment, boot.rst's __BOOT_CS. */
    static final int CODE64_SELECTOR = 0x10;
    /** Selector of the flat data segment, boot.rst's __BOOT_DS. */
    static final int DATA_SELECTOR = 0x18;

    /**
     * The GDT entries (Intel SDM Vol. 3A §3.4.5): base 0, limit 0xFFFFF with G=1, P=1, DPL 0, S=1.
     * Access byte 0x9B is execute/read accessed code, 0x93 read/write accessed data. Flags 0xC are
     * G|D (32-bit), 0xA are G|L (64-bit code, D must be 0).
     */
    static final long[] GDT_ENTRIES = {
            0L,
            0x00CF_9B00_0000_FFFFL,
            0x00AF_9B00_0000_FFFFL,
            0x00CF_9300_0000_FFFFL,
    };
    /** Byte length of the GDT. */
    static final int GDT_SIZE = GDT_ENTRIES.length * 8;
    /** Bytes of identity page tables: PML4, PDPT and the page directories. */
    static final long PAGE_TABLES_SIZE = BOOT_PD + BOOT_PD_COUNT * 0x1000L - BOOT_PML4;
    /** A 2 MiB page directory entry: present, writable, PS (Intel SDM Vol. 3A Table 4-17). */
    private static final long PDE_2M_FLAGS = 0x83;
    /** A directory-pointing entry: present, writable. */
    private static final long TABLE_FLAGS = 0x03;

    /** Registers for vCPU 0 at the entry point. */
    record CpuState(Registers registers, SystemRegisters systemRegisters) {
    }

    private BootCpuState() {
    }

    /** Claims and writes the boot GDT and the boot stack page. */
    static void writeGdtAndStack(GuestPlacement placement) throws KernelLoadException {
        placement.claim("boot GDT", BOOT_GDT, GDT_SIZE);
        ByteBuffer gdt = ByteBuffer.allocate(GDT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (long entry : GDT_ENTRIES) {
            gdt.putLong(entry);
        }
        placement.memory().write(BOOT_GDT, gdt.array());
        placement.claim("boot stack", BOOT_STACK_TOP - 0x1000, 0x1000);
        placement.memory().fill(BOOT_STACK_TOP - 0x1000, 0x1000, (byte) 0);
    }

    /**
     * Claims and writes an identity map of the first 4 GiB with 2 MiB pages (boot.rst: the 64-bit
     * protocol needs the kernel, zero page and command line identity mapped; 1 GiB pages are
     * avoided because not every host supports them).
     */
    static void writeIdentityPageTables(GuestPlacement placement) throws KernelLoadException {
        placement.claim("boot page tables", BOOT_PML4, PAGE_TABLES_SIZE);
        ByteBuffer tables = ByteBuffer.allocate((int) PAGE_TABLES_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        tables.putLong(0, BOOT_PDPT | TABLE_FLAGS);
        int pdptOffset = (int) (BOOT_PDPT - BOOT_PML4);
        int pdOffset = (int) (BOOT_PD - BOOT_PML4);
        for (int dir = 0; dir < BOOT_PD_COUNT; dir++) {
            tables.putLong(pdptOffset + dir * 8, (BOOT_PD + dir * 0x1000L) | TABLE_FLAGS);
            for (int i = 0; i < 512; i++) {
                long physical = ((long) dir << 30) | ((long) i << 21);
                tables.putLong(pdOffset + dir * 0x1000 + i * 8, physical | PDE_2M_FLAGS);
            }
        }
        placement.memory().write(BOOT_PML4, tables.array());
    }

    /**
     * Long mode as boot.rst §"64-bit BOOT PROTOCOL" requires: paging on with the identity map,
     * CS = __BOOT_CS (64-bit), DS/ES/SS = __BOOT_DS, RSI = zero page, interrupts off.
     */
    static CpuState longMode(long entry, long zeroPage) {
        Segment cs = Segment.code64(CODE64_SELECTOR, 0);
        Segment data = Segment.data(DATA_SELECTOR, 0);
        SystemRegisters sregs = base(cs, data)
                .withCr(CR0_PE | CR0_ET | CR0_NE | CR0_PG, BOOT_PML4, CR4_PAE, EFER_LME | EFER_LMA);
        Registers regs = new Registers(0, 0, 0, 0, zeroPage, 0, BOOT_STACK_TOP, 0,
                0, 0, 0, 0, 0, 0, 0, 0, entry, 2);
        return new CpuState(regs, sregs);
    }

    /**
     * 32-bit protected mode with paging off, flat segments and interrupts off, as both the
     * Multiboot Specification (§3.2 "Machine state") and the PVH boot ABI require; only EAX and EBX
     * differ between them.
     */
    static CpuState protectedMode(long entry, long eax, long ebx) {
        Segment cs = Segment.code32(CODE32_SELECTOR);
        Segment data = Segment.data(DATA_SELECTOR, 0);
        SystemRegisters sregs = base(cs, data).withCr(CR0_PE | CR0_ET, 0, 0, 0);
        Registers regs = new Registers(eax, ebx, 0, 0, 0, 0, BOOT_STACK_TOP, 0,
                0, 0, 0, 0, 0, 0, 0, 0, entry, 2);
        return new CpuState(regs, sregs);
    }

    private static SystemRegisters base(Segment cs, Segment data) {
        // PVH asks for "a 32-bit TSS (active) with a base of 0 and a limit of 0x67"; a busy TSS
        // of that shape is also valid in long mode, so both modes use it.
        Segment tr = Segment.tss64(0, 0, 0x67);
        return SystemRegisters.reset()
                .withSegments(cs, data, tr)
                .withTables(new DescriptorTable(BOOT_GDT, GDT_SIZE - 1), new DescriptorTable(0, 0));
    }
}
