package dev.jvisor.machine.boot;

import dev.jvisor.machine.E820Entry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The PVH boot ABI's start-of-day structure and the arrays it points to, laid out as
 * xen/include/public/arch-x86/hvm/start_info.h defines them (version 1: with a memory map):
 *
 * <pre>
 * hvm_start_info (56 bytes)   magic, version, flags, nr_modules, modlist_paddr, cmdline_paddr,
 *                             rsdp_paddr, memmap_paddr, memmap_entries, reserved
 * hvm_modlist_entry (32 each) paddr, size, cmdline_paddr, reserved
 * hvm_memmap_table_entry (24) addr, size, type (e820 numbering), reserved
 * </pre>
 *
 * All three are written back to back starting at the given base address.
 */
final class PvhStartInfo {
    /** XEN_HVM_START_MAGIC_VALUE: "xEn3" with the 0x80 bit of the "E" set. */
    static final int MAGIC = 0x336E_C578;
    static final int VERSION = 1;
    static final int START_INFO_SIZE = 56, MODLIST_ENTRY_SIZE = 32, MEMMAP_ENTRY_SIZE = 24;

    /** A module for the modlist: where it was loaded. */
    record Module(long address, long size) {
    }

    private PvhStartInfo() {
    }

    /** Bytes needed for the structure with this many modules and memory map entries. */
    static int size(int modules, int memmapEntries) {
        return START_INFO_SIZE + modules * MODLIST_ENTRY_SIZE + memmapEntries * MEMMAP_ENTRY_SIZE;
    }

    /** Builds the structure as it must appear at guest address {@code base}. */
    static byte[] build(long base, long cmdline, long rsdp, List<Module> modules, List<E820Entry> memmap) {
        ByteBuffer b = ByteBuffer.allocate(size(modules.size(), memmap.size())).order(ByteOrder.LITTLE_ENDIAN);
        long modlist = base + START_INFO_SIZE;
        long memmapAddress = modlist + (long) modules.size() * MODLIST_ENTRY_SIZE;
        b.putInt(MAGIC).putInt(VERSION).putInt(0).putInt(modules.size());
        // "nothing will be loaded at physical address 0, so a 0 value in any of the address
        // fields should be treated as not present" (start_info.h).
        b.putLong(modules.isEmpty() ? 0 : modlist).putLong(cmdline).putLong(rsdp);
        b.putLong(memmapAddress).putInt(memmap.size()).putInt(0);
        for (Module m : modules) {
            b.putLong(m.address()).putLong(m.size()).putLong(0).putLong(0);
        }
        for (E820Entry e : memmap) {
            b.putLong(e.address()).putLong(e.size()).putInt(e.type().code()).putInt(0);
        }
        return b.array();
    }
}
