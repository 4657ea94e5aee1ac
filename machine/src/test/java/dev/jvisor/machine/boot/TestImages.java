package dev.jvisor.machine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds small kernel images (bzImage, ELF32/64, Multiboot) for the loader tests. */
final class TestImages {
    private TestImages() {
    }

    /** A bzImage: boot sector and setup sectors with a setup header, then protected-mode code. */
    static final class BzImage {
        int version = 0x020F;
        int setupSectors = 4;
        int loadFlags = BzImageHeader.LOADED_HIGH;
        int xloadFlags = BzImageHeader.XLF_KERNEL_64 | BzImageHeader.XLF_CAN_BE_LOADED_ABOVE_4G;
        boolean relocatable = true;
        long kernelAlignment = 0x20_0000;
        long prefAddress = 0x100_0000;
        long initSize = 0x80_0000;
        long cmdlineSize = 2047;
        long initrdAddrMax = 0x7FFF_FFFF;
        byte[] protectedMode = pattern(0x3000, 7);
        Integer sysSizeOverride;

        byte[] build() {
            int setupBytes = (setupSectors + 1) * 512;
            ByteBuffer b = ByteBuffer.allocate(setupBytes + protectedMode.length).order(ByteOrder.LITTLE_ENDIAN);
            b.put(BzImageHeader.SETUP_SECTS, (byte) setupSectors);
            int sysSize = sysSizeOverride != null ? sysSizeOverride : (protectedMode.length + 15) / 16;
            b.putInt(BzImageHeader.SYSSIZE, sysSize);
            b.putShort(BzImageHeader.BOOT_FLAG, (short) 0xAA55);
            // jump instruction: EB xx, where 0x202 + xx is the end of the header (0x26C for 2.15).
            b.put(BzImageHeader.JUMP, (byte) 0xEB).put(BzImageHeader.JUMP + 1, (byte) (0x26C - 0x202));
            b.putInt(BzImageHeader.MAGIC, BzImageHeader.HDRS_MAGIC);
            b.putShort(BzImageHeader.VERSION, (short) version);
            b.put(BzImageHeader.LOADFLAGS, (byte) loadFlags);
            b.putInt(BzImageHeader.INITRD_ADDR_MAX, (int) initrdAddrMax);
            b.putInt(BzImageHeader.KERNEL_ALIGNMENT, (int) kernelAlignment);
            b.put(BzImageHeader.RELOCATABLE_KERNEL, (byte) (relocatable ? 1 : 0));
            b.putShort(BzImageHeader.XLOADFLAGS, (short) xloadFlags);
            b.putInt(BzImageHeader.CMDLINE_SIZE, (int) cmdlineSize);
            b.putLong(BzImageHeader.PREF_ADDRESS, prefAddress);
            b.putInt(BzImageHeader.INIT_SIZE, (int) initSize);
            b.put(setupBytes, protectedMode);
            return b.array();
        }
    }

    /** A loadable segment: virtual and physical address, file bytes, memory size (>= bytes). */
    record Segment(long vaddr, long paddr, byte[] data, long memSize) {
        static Segment at(long paddr, byte[] data, long memSize) {
            return new Segment(paddr, paddr, data, memSize);
        }
    }

    /** A note: owner, type, descriptor. */
    record Note(String name, int type, byte[] desc) {
    }

    /** An ELF executable with program headers only. */
    static final class Elf {
        boolean is64 = true;
        int machine = ElfImage.EM_X86_64;
        long entry;
        final List<Segment> segments = new ArrayList<>();
        final List<Note> notes = new ArrayList<>();

        byte[] build() {
            int ehSize = is64 ? 64 : 52;
            int phSize = is64 ? 56 : 32;
            int phnum = segments.size() + (notes.isEmpty() ? 0 : 1);
            int at = ehSize + phnum * phSize;
            List<byte[]> blobs = new ArrayList<>();
            List<Integer> offsets = new ArrayList<>();
            for (Segment s : segments) {
                at = (at + 15) & ~15;
                offsets.add(at);
                blobs.add(s.data());
                at += s.data().length;
            }
            byte[] noteBytes = encodeNotes();
            at = (at + 3) & ~3;
            int noteOffset = at;
            at += noteBytes.length;

            ByteBuffer b = ByteBuffer.allocate(at).order(ByteOrder.LITTLE_ENDIAN);
            b.put(new byte[]{0x7F, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), 1, 1});
            b.putShort(16, (short) 2).putShort(18, (short) machine).putInt(20, 1);
            if (is64) {
                b.putLong(24, entry).putLong(32, ehSize).putShort(52, (short) ehSize)
                        .putShort(54, (short) phSize).putShort(56, (short) phnum);
            } else {
                b.putInt(24, (int) entry).putInt(28, ehSize).putShort(40, (short) ehSize)
                        .putShort(42, (short) phSize).putShort(44, (short) phnum);
            }
            int ph = ehSize;
            for (int i = 0; i < segments.size(); i++) {
                Segment s = segments.get(i);
                programHeader(b, ph, ElfImage.PT_LOAD, offsets.get(i), s.vaddr(), s.paddr(), s.data().length, s.memSize());
                b.put(offsets.get(i), s.data());
                ph += phSize;
            }
            if (!notes.isEmpty()) {
                programHeader(b, ph, ElfImage.PT_NOTE, noteOffset, 0, 0, noteBytes.length, noteBytes.length);
                b.put(noteOffset, noteBytes);
            }
            return b.array();
        }

        private void programHeader(ByteBuffer b, int at, int type, long offset, long vaddr, long paddr, long fileSize,
                                   long memSize) {
            b.putInt(at, type);
            if (is64) {
                b.putInt(at + 4, 7).putLong(at + 8, offset).putLong(at + 16, vaddr).putLong(at + 24, paddr)
                        .putLong(at + 32, fileSize).putLong(at + 40, memSize).putLong(at + 48, 16);
            } else {
                b.putInt(at + 4, (int) offset).putInt(at + 8, (int) vaddr).putInt(at + 12, (int) paddr)
                        .putInt(at + 16, (int) fileSize).putInt(at + 20, (int) memSize).putInt(at + 24, 7)
                        .putInt(at + 28, 16);
            }
        }

        private byte[] encodeNotes() {
            ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
            for (Note n : notes) {
                byte[] name = (n.name() + "\0").getBytes(StandardCharsets.US_ASCII);
                b.putInt(name.length).putInt(n.desc().length).putInt(n.type());
                b.put(name).position((b.position() + 3) & ~3);
                b.put(n.desc()).position((b.position() + 3) & ~3);
            }
            byte[] out = new byte[b.position()];
            b.get(0, out);
            return out;
        }
    }

    /** A Multiboot header (12 bytes, or 32 with the address fields when flag 16 is set). */
    static byte[] multibootHeader(int flags, long headerAddr, long loadAddr, long loadEndAddr, long bssEndAddr,
                                  long entryAddr) {
        boolean aout = (flags & MultibootHeader.FLAG_AOUT_KLUDGE) != 0;
        ByteBuffer b = ByteBuffer.allocate(aout ? 32 : 12).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MultibootHeader.MAGIC).putInt(flags).putInt(-(MultibootHeader.MAGIC + flags));
        if (aout) {
            b.putInt((int) headerAddr).putInt((int) loadAddr).putInt((int) loadEndAddr).putInt((int) bssEndAddr)
                    .putInt((int) entryAddr);
        }
        return b.array();
    }

    /** {@code length} bytes of a recognisable non-zero pattern. */
    static byte[] pattern(int length, int seed) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (i * 31 + seed | 1);
        }
        return data;
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
