package dev.jvisor.machine.boot;

import dev.jvisor.machine.E820Entry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The Multiboot information structure (Multiboot Specification 0.6.96 §3.3) and what it points
 * to, laid out in one buffer for a given guest base address:
 *
 * <pre>
 * +0    multiboot_info (116 bytes, padded to 128)
 * +128  boot loader name
 *       memory map: entries of {size = 20, base_addr, length, type}
 *       module list: {mod_start, mod_end, string, reserved} per module
 *       module strings
 * </pre>
 */
final class MultibootInfo {
    /** multiboot_info flags bits. */
    static final int INFO_MEMORY = 1, INFO_CMDLINE = 1 << 2, INFO_MODS = 1 << 3, INFO_MMAP = 1 << 6,
            INFO_LOADER_NAME = 1 << 9;
    /** multiboot_info field offsets. */
    static final int FLAGS = 0, MEM_LOWER = 4, MEM_UPPER = 8, CMDLINE = 16, MODS_COUNT = 20, MODS_ADDR = 24,
            MMAP_LENGTH = 44, MMAP_ADDR = 48, BOOT_LOADER_NAME = 64;
    static final int INFO_SIZE = 128;
    static final int MMAP_ENTRY_SIZE = 24, MODULE_ENTRY_SIZE = 16;
    static final String LOADER_NAME = "jvisor";

    /** A loaded module: where, and its string already encoded with a NUL. */
    record Module(long start, long end, byte[] string) {
    }

    private MultibootInfo() {
    }

    /** Bytes needed for the structure with these modules and memory map. */
    static long size(List<Module> modules, int mmapEntries) {
        long size = INFO_SIZE + LOADER_NAME.length() + 1L + (long) mmapEntries * MMAP_ENTRY_SIZE
                + (long) modules.size() * MODULE_ENTRY_SIZE;
        for (Module m : modules) {
            size += m.string().length;
        }
        return size;
    }

    /**
     * Builds the structure as it must appear at guest address {@code base}.
     *
     * @param memLowerKib KiB of conventional memory from 0 (at most 640)
     * @param memUpperKib KiB of contiguous memory from 1 MiB
     */
    static byte[] build(long base, long cmdline, long memLowerKib, long memUpperKib, List<E820Entry> memoryMap,
                        List<Module> modules) {
        ByteBuffer b = ByteBuffer.allocate((int) size(modules, memoryMap.size())).order(ByteOrder.LITTLE_ENDIAN);
        int flags = INFO_MEMORY | INFO_CMDLINE | INFO_MMAP | INFO_LOADER_NAME | (modules.isEmpty() ? 0 : INFO_MODS);
        b.putInt(FLAGS, flags);
        b.putInt(MEM_LOWER, (int) memLowerKib);
        b.putInt(MEM_UPPER, (int) memUpperKib);
        b.putInt(CMDLINE, (int) cmdline);

        int at = INFO_SIZE;
        b.putInt(BOOT_LOADER_NAME, (int) (base + at));
        b.put(at, LOADER_NAME.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        at += LOADER_NAME.length() + 1;

        b.putInt(MMAP_ADDR, (int) (base + at));
        b.putInt(MMAP_LENGTH, memoryMap.size() * MMAP_ENTRY_SIZE);
        for (E820Entry e : memoryMap) {
            // "size" counts the bytes after itself, so the next entry is at +size+4 (§3.3).
            b.putInt(at, MMAP_ENTRY_SIZE - 4).putLong(at + 4, e.address()).putLong(at + 12, e.size())
                    .putInt(at + 20, e.type().code());
            at += MMAP_ENTRY_SIZE;
        }

        b.putInt(MODS_COUNT, modules.size());
        b.putInt(MODS_ADDR, modules.isEmpty() ? 0 : (int) (base + at));
        int stringAt = at + modules.size() * MODULE_ENTRY_SIZE;
        for (Module m : modules) {
            b.putInt(at, (int) m.start()).putInt(at + 4, (int) m.end()).putInt(at + 8, (int) (base + stringAt));
            b.put(stringAt, m.string());
            stringAt += m.string().length;
            at += MODULE_ENTRY_SIZE;
        }
        return b.array();
    }
}
