package dev.jvisor.machine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A parsed and validated ELF executable: class, machine, entry point and program headers (System V
 * ABI, "ELF Header" and "Program Header"; x86-64 psABI for EM_X86_64). Only what a boot loader
 * needs; sections are ignored.
 *
 * @param is64     ELFCLASS64 (otherwise ELFCLASS32)
 * @param machine  e_machine
 * @param entry    e_entry
 * @param segments the program headers, in file order
 */
public record ElfImage(boolean is64, int machine, long entry, List<Segment> segments) {
    /** e_machine values. */
    public static final int EM_386 = 3, EM_X86_64 = 62;
    /** p_type values. */
    public static final int PT_LOAD = 1, PT_NOTE = 4;
    private static final int ET_EXEC = 2, ET_DYN = 3;

    /** One program header. */
    public record Segment(int type, long offset, long vaddr, long paddr, long fileSize, long memSize) {
    }

    /** One note: owner name (without the NUL), type and descriptor bytes. */
    public record Note(String name, int type, byte[] desc) {
    }

    public ElfImage {
        segments = List.copyOf(segments);
    }

    /** Whether {@code image} starts with the ELF magic. */
    public static boolean matches(byte[] image) {
        return image.length >= 4 && image[0] == 0x7F && image[1] == 'E' && image[2] == 'L' && image[3] == 'F';
    }

    /**
     * Parses the ELF header and program headers of {@code image}.
     *
     * @throws KernelLoadException for anything malformed: wrong byte order or version, tables
     *                             outside the file, segments whose file part exceeds their memory
     *                             part or the file
     */
    public static ElfImage parse(byte[] image) throws KernelLoadException {
        if (!matches(image) || image.length < 52) {
            throw new KernelLoadException("not an ELF file (too short or no \\x7fELF magic)");
        }
        int elfClass = image[4] & 0xFF;
        if (elfClass != 1 && elfClass != 2) {
            throw new KernelLoadException("ELF class " + elfClass + " is neither ELFCLASS32 nor ELFCLASS64");
        }
        if (image[5] != 1) {
            throw new KernelLoadException("ELF kernel is not little-endian (EI_DATA " + (image[5] & 0xFF) + ")");
        }
        if (image[6] != 1) {
            throw new KernelLoadException("ELF version " + (image[6] & 0xFF) + " is not EV_CURRENT");
        }
        boolean is64 = elfClass == 2;
        if (is64 && image.length < 64) {
            throw new KernelLoadException("ELF64 file of " + image.length + " bytes is shorter than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.getShort(16) & 0xFFFF;
        if (type != ET_EXEC && type != ET_DYN) {
            throw new KernelLoadException("ELF file type " + type + " is not an executable");
        }
        int machine = b.getShort(18) & 0xFFFF;
        long entry = is64 ? b.getLong(24) : b.getInt(24) & 0xFFFF_FFFFL;
        long phoff = is64 ? b.getLong(32) : b.getInt(28) & 0xFFFF_FFFFL;
        int phentsize = b.getShort(is64 ? 54 : 42) & 0xFFFF;
        int phnum = b.getShort(is64 ? 56 : 44) & 0xFFFF;
        int minEntry = is64 ? 56 : 32;
        if (phnum == 0) {
            throw new KernelLoadException("ELF kernel has no program headers");
        }
        if (phentsize < minEntry) {
            throw new KernelLoadException("ELF program header size " + phentsize + " is below " + minEntry);
        }
        if (phoff < 0 || phoff > image.length || (long) phentsize * phnum > image.length - phoff) {
            throw new KernelLoadException(String.format(
                    "ELF program headers (%d x %d bytes at offset 0x%x) lie outside the %d-byte file",
                    phnum, phentsize, phoff, image.length));
        }
        List<Segment> segments = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            Segment s = is64
                    ? new Segment(b.getInt(at), b.getLong(at + 8), b.getLong(at + 16), b.getLong(at + 24),
                            b.getLong(at + 32), b.getLong(at + 40))
                    : new Segment(b.getInt(at), u32(b, at + 4), u32(b, at + 8), u32(b, at + 12),
                            u32(b, at + 16), u32(b, at + 20));
            if (s.type() == PT_LOAD || s.type() == PT_NOTE) {
                checkSegment(i, s, image.length);
            }
            segments.add(s);
        }
        return new ElfImage(is64, machine, entry, segments);
    }

    private static void checkSegment(int index, Segment s, int fileLength) throws KernelLoadException {
        if (s.offset() < 0 || s.fileSize() < 0 || s.offset() > fileLength || s.fileSize() > fileLength - s.offset()) {
            throw new KernelLoadException(String.format(
                    "ELF segment %d (offset 0x%x, %d bytes) lies outside the %d-byte file",
                    index, s.offset(), s.fileSize(), fileLength));
        }
        if (s.type() == PT_LOAD && s.memSize() < 0) {
            throw new KernelLoadException(String.format(
                    "ELF segment %d has an impossible memory size 0x%x", index, s.memSize()));
        }
        if (s.type() == PT_LOAD && Long.compareUnsigned(s.fileSize(), s.memSize()) > 0) {
            throw new KernelLoadException(String.format(
                    "ELF segment %d has more file bytes (%d) than memory bytes (%d)", index, s.fileSize(), s.memSize()));
        }
    }

    private static long u32(ByteBuffer b, int at) {
        return b.getInt(at) & 0xFFFF_FFFFL;
    }

    /** The PT_LOAD segments with a non-zero memory size. */
    public List<Segment> loadSegments() {
        return segments.stream().filter(s -> s.type() == PT_LOAD && s.memSize() != 0).toList();
    }

    /**
     * The notes of all PT_NOTE segments (System V ABI "Note Section": namesz, descsz, type, name
     * and descriptor each padded to 4 bytes). A malformed note ends the scan of its segment.
     */
    public List<Note> notes(byte[] image) {
        List<Note> notes = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        for (Segment s : segments) {
            if (s.type() != PT_NOTE) {
                continue;
            }
            long at = s.offset();
            long end = s.offset() + s.fileSize();
            while (end - at >= 12) {
                long nameSize = u32(b, (int) at);
                long descSize = u32(b, (int) at + 4);
                int type = b.getInt((int) at + 8);
                long nameStart = at + 12;
                long descStart = nameStart + pad4(nameSize);
                long next = descStart + pad4(descSize);
                if (next > end) {
                    break;
                }
                int nameLength = (int) nameSize;
                while (nameLength > 0 && image[(int) nameStart + nameLength - 1] == 0) {
                    nameLength--;
                }
                String name = new String(image, (int) nameStart, nameLength, StandardCharsets.US_ASCII);
                byte[] desc = new byte[(int) descSize];
                System.arraycopy(image, (int) descStart, desc, 0, desc.length);
                notes.add(new Note(name, type, desc));
                at = next;
            }
        }
        return notes;
    }

    /** The first note with this owner and type. */
    public Optional<Note> findNote(byte[] image, String name, int type) {
        return notes(image).stream().filter(n -> n.name().equals(name) && n.type() == type).findFirst();
    }

    /**
     * Converts an address the image uses (its entry point) to a physical address: it is taken as
     * physical if a loaded segment's physical range contains it, otherwise translated through the
     * segment whose virtual range contains it.
     */
    public Optional<Long> toPhysical(long address) {
        for (Segment s : loadSegments()) {
            if (Long.compareUnsigned(address - s.paddr(), s.memSize()) < 0) {
                return Optional.of(address);
            }
        }
        for (Segment s : loadSegments()) {
            if (Long.compareUnsigned(address - s.vaddr(), s.memSize()) < 0) {
                return Optional.of(s.paddr() + (address - s.vaddr()));
            }
        }
        return Optional.empty();
    }

    private static long pad4(long n) {
        return (n + 3) & ~3L;
    }
}
