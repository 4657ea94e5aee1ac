package dev.jvisor.images;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code .modinfo} facts of a Linux kernel module that module loading order depends on, read
 * from the module's ELF file.
 *
 * <p>A {@code .ko} is an ELF64 relocatable object (System V gABI, "ELF Header" and "Sections"); its
 * {@code .modinfo} section is a sequence of NUL-terminated {@code key=value} strings written by
 * modpost, among them {@code name=} and {@code depends=} (a comma-separated list of module names;
 * see Linux scripts/mod/modpost.c). This is what depmod reads to build modules.dep.
 *
 * @param name    the module name ({@code virtio_net}); underscores, as the kernel spells it
 * @param depends the modules that must be loaded first
 */
public record ModuleInfo(String name, List<String> depends) {
    private static final int EI_CLASS = 4;
    private static final int EI_DATA = 5;
    private static final int ELFCLASS64 = 2;
    private static final int ELFDATA2LSB = 1;
    private static final int ELF64_HEADER_SIZE = 64;
    private static final int SHN_XINDEX = 0xffff;

    public ModuleInfo {
        depends = List.copyOf(depends);
    }

    /** The module name a file name implies: {@code virtio-rng.ko} → {@code virtio_rng}. */
    public static String nameFromFile(String fileName) {
        String base = fileName.substring(fileName.lastIndexOf('/') + 1);
        int dot = base.indexOf(".ko");
        return canonical(dot >= 0 ? base.substring(0, dot) : base);
    }

    /** Module names treat '-' and '_' as the same; the kernel uses '_'. */
    public static String canonical(String moduleName) {
        return moduleName.replace('-', '_');
    }

    /**
     * Reads the module info of an ELF64 little-endian module.
     *
     * @param fileName used when the module has no {@code name=} entry and in error messages
     * @throws ImageException when the bytes are not such an ELF file or lack a {@code .modinfo} section
     */
    public static ModuleInfo parse(byte[] elf, String fileName) throws ImageException {
        ByteBuffer buffer = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < ELF64_HEADER_SIZE || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
            throw new ImageException(fileName + " is not an ELF file");
        }
        if (elf[EI_CLASS] != ELFCLASS64 || elf[EI_DATA] != ELFDATA2LSB) {
            throw new ImageException(fileName + " is not a 64-bit little-endian ELF file");
        }
        long sectionTable = buffer.getLong(0x28);
        int entrySize = Short.toUnsignedInt(buffer.getShort(0x3a));
        long sectionCount = Short.toUnsignedInt(buffer.getShort(0x3c));
        long namesIndex = Short.toUnsignedInt(buffer.getShort(0x3e));
        if (entrySize < 64) {
            throw new ImageException(fileName + ": section header entries of " + entrySize + " bytes are too small");
        }
        // gABI "Extended Section Numbering": with many sections the real counts live in section 0.
        if (sectionCount == 0 || namesIndex == SHN_XINDEX) {
            long zero = sectionOffset(sectionTable, 0, entrySize, elf.length, fileName);
            if (sectionCount == 0) {
                sectionCount = buffer.getLong((int) zero + 0x20);
            }
            if (namesIndex == SHN_XINDEX) {
                namesIndex = Integer.toUnsignedLong(buffer.getInt((int) zero + 0x28));
            }
        }
        if (sectionCount <= 0 || sectionCount > elf.length / entrySize) {
            throw new ImageException(fileName + ": implausible section count " + sectionCount);
        }
        if (namesIndex >= sectionCount) {
            throw new ImageException(fileName + ": section name table index " + namesIndex + " out of range");
        }
        Section names = section(buffer, sectionTable, (int) namesIndex, entrySize, fileName);
        for (int i = 0; i < sectionCount; i++) {
            Section section = section(buffer, sectionTable, i, entrySize, fileName);
            if (".modinfo".equals(cString(elf, names, section.nameOffset, fileName))) {
                return fromModinfo(elf, section, fileName);
            }
        }
        throw new ImageException(fileName + " has no .modinfo section");
    }

    private record Section(long nameOffset, long offset, long size) {
    }

    private static Section section(ByteBuffer elf, long table, int index, int entrySize, String fileName)
            throws ImageException {
        int at = (int) sectionOffset(table, index, entrySize, elf.capacity(), fileName);
        long nameOffset = Integer.toUnsignedLong(elf.getInt(at));
        long offset = elf.getLong(at + 0x18);
        long size = elf.getLong(at + 0x20);
        int type = elf.getInt(at + 4);
        final int shtNobits = 8;
        if (type != shtNobits && (offset < 0 || size < 0 || offset > elf.capacity() || size > elf.capacity() - offset)) {
            throw new ImageException(fileName + ": section " + index + " lies outside the file");
        }
        return new Section(nameOffset, offset, type == shtNobits ? 0 : size);
    }

    private static long sectionOffset(long table, long index, int entrySize, int length, String fileName)
            throws ImageException {
        long at = table + index * entrySize;
        if (table <= 0 || at < 0 || at > length - 64L) {
            throw new ImageException(fileName + ": section header " + index + " lies outside the file");
        }
        return at;
    }

    private static String cString(byte[] elf, Section table, long offset, String fileName) throws ImageException {
        if (offset >= table.size) {
            throw new ImageException(fileName + ": section name offset " + offset + " out of range");
        }
        int start = (int) (table.offset + offset);
        int end = start;
        int limit = (int) (table.offset + table.size);
        while (end < limit && elf[end] != 0) {
            end++;
        }
        return new String(elf, start, end - start, StandardCharsets.ISO_8859_1);
    }

    private static ModuleInfo fromModinfo(byte[] elf, Section modinfo, String fileName) {
        String name = null;
        List<String> depends = new ArrayList<>();
        int start = (int) modinfo.offset;
        int limit = (int) (modinfo.offset + modinfo.size);
        for (int i = start; i <= limit; i++) {
            if (i == limit || elf[i] == 0) {
                if (i > start) {
                    String entry = new String(elf, start, i - start, StandardCharsets.UTF_8);
                    if (entry.startsWith("name=")) {
                        name = entry.substring(5);
                    } else if (entry.startsWith("depends=")) {
                        for (String dependency : entry.substring(8).split(",")) {
                            if (!dependency.isBlank()) {
                                depends.add(canonical(dependency.strip()));
                            }
                        }
                    }
                }
                start = i + 1;
            }
        }
        String moduleName = Optional.ofNullable(name).filter(n -> !n.isBlank()).map(ModuleInfo::canonical)
                .orElse(nameFromFile(fileName));
        return new ModuleInfo(moduleName, depends);
    }
}
