package dev.jvisor.machine.boot;

import static dev.jvisor.machine.boot.BzImageHeader.*;

import dev.jvisor.machine.E820Entry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The Linux zero page ({@code struct boot_params}, arch/x86/include/uapi/asm/bootparam.h and
 * Documentation/x86/zero-page.rst) built in a 4 KiB buffer. Everything not set stays zero; in
 * particular {@code screen_info} is all zero, which the kernel reads as "no VGA console".
 */
final class ZeroPage {
    static final int SIZE = 4096;
    /** boot_params offsets (zero-page.rst). */
    static final int ACPI_RSDP_ADDR = 0x070, EXT_RAMDISK_IMAGE = 0x0C0, EXT_RAMDISK_SIZE = 0x0C4,
            EXT_CMD_LINE_PTR = 0x0C8, E820_ENTRIES = 0x1E8, SENTINEL = 0x1EF, E820_TABLE = 0x2D0;
    /** Capacity of the zero page's e820 table (E820_MAX_ENTRIES_ZEROPAGE). */
    static final int E820_MAX = 128;
    /** Size of one {@code boot_e820_entry}: u64 addr, u64 size, u32 type. */
    static final int E820_ENTRY_SIZE = 20;
    /** type_of_loader: 0xFF, "undefined", since jvisor has no assigned loader ID (boot.rst). */
    static final int LOADER_UNDEFINED = 0xFF;
    /** Protocol version 2.14 added acpi_rsdp_addr. */
    static final int VERSION_WITH_RSDP = 0x020E;
    /**
     * heap_end_ptr: end of the real-mode heap minus 0x200 (boot.rst). No real-mode code runs in the
     * 64-bit protocol, but kernels check CAN_USE_HEAP and this field together.
     */
    static final int HEAP_END = 0xFE00;

    private final ByteBuffer page = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);

    /** Copies the kernel's setup header, as boot.rst asks, so the kernel sees its own fields back. */
    void copySetupHeader(byte[] image, BzImageHeader header) {
        page.put(HEADER_START, image, HEADER_START, header.headerEnd() - HEADER_START);
    }

    /**
     * For a kernel that has no setup header (ELF vmlinux): the fields Linux's startup_64 and the
     * early setup code read, with the values a boot loader would fill.
     */
    void synthesizeHeader(long cmdlineSize, long initrdAddrMax) {
        page.putShort(BOOT_FLAG, (short) BOOT_FLAG_VALUE);
        page.putInt(MAGIC, HDRS_MAGIC);
        page.putShort(VERSION, (short) 0x020F);
        page.put(LOADFLAGS, (byte) LOADED_HIGH);
        page.putInt(CMDLINE_SIZE, (int) cmdlineSize);
        page.putInt(INITRD_ADDR_MAX, (int) initrdAddrMax);
    }

    /** The loader-owned header fields every kernel gets. */
    void setLoaderFields(long code32Start) {
        page.put(TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        page.put(LOADFLAGS, (byte) (page.get(LOADFLAGS) | CAN_USE_HEAP));
        page.putShort(HEAP_END_PTR, (short) HEAP_END);
        page.putInt(CODE32_START, (int) code32Start);
    }

    void setCommandLine(long address) {
        page.putInt(CMD_LINE_PTR, (int) address);
        page.putInt(EXT_CMD_LINE_PTR, (int) (address >>> 32));
    }

    void setInitrd(long address, long size) {
        page.putInt(RAMDISK_IMAGE, (int) address);
        page.putInt(RAMDISK_SIZE, (int) size);
        page.putInt(EXT_RAMDISK_IMAGE, (int) (address >>> 32));
        page.putInt(EXT_RAMDISK_SIZE, (int) (size >>> 32));
    }

    /** Sets acpi_rsdp_addr when the kernel's protocol has the field (2.14+). */
    void setRsdp(long address) {
        int version = page.getShort(VERSION) & 0xFFFF;
        if (address != 0 && version >= VERSION_WITH_RSDP) {
            page.putLong(ACPI_RSDP_ADDR, address);
        }
    }

    void setE820(List<E820Entry> entries) {
        if (entries.size() > E820_MAX) {
            throw new IllegalArgumentException("more than " + E820_MAX + " e820 entries");
        }
        page.put(E820_ENTRIES, (byte) entries.size());
        int at = E820_TABLE;
        for (E820Entry e : entries) {
            page.putLong(at, e.address());
            page.putLong(at + 8, e.size());
            page.putInt(at + 16, e.type().code());
            at += E820_ENTRY_SIZE;
        }
    }

    byte[] bytes() {
        return page.array().clone();
    }
}
