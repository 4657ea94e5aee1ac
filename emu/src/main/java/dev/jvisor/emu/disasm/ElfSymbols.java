package dev.jvisor.emu.disasm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the symbol table of a little-endian ELF32 or ELF64 file (System V gABI, "Section Header" and
 * "Symbol Table" chapters): {@code .symtab} (SHT_SYMTAB) if present, else {@code .dynsym}
 * (SHT_DYNSYM). Defined function, object and untyped symbols are kept; section, file and undefined
 * entries are not. Every offset is checked, so a damaged file gives a clear error.
 */
public final class ElfSymbols {
    private static final int SHT_SYMTAB = 2;
    private static final int SHT_DYNSYM = 11;
    private static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2;
    private static final int STB_LOCAL = 0;
    private static final int SHN_UNDEF = 0, SHN_ABS = 0xfff1;

    private ElfSymbols() {
    }

    public static boolean isElf(byte[] b) {
        return b.length >= 52 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
    }

    /** The defined symbols of the ELF file; empty if it has no symbol table (stripped). */
    public static List<Symbol> read(byte[] bytes) {
        if (!isElf(bytes)) {
            throw new IllegalArgumentException("not an ELF file");
        }
        boolean is64 = bytes[4] == 2;
        if (bytes[4] != 1 && bytes[4] != 2) {
            throw new IllegalArgumentException("ELF class " + bytes[4] + " is neither 32- nor 64-bit");
        }
        if (bytes[5] != 1) {
            throw new IllegalArgumentException("only little-endian ELF files are supported");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = is64 ? b.getLong(0x28) : b.getInt(0x20) & 0xffff_ffffL;
        int shentsize = b.getShort(is64 ? 0x3a : 0x2e) & 0xffff;
        int shnum = b.getShort(is64 ? 0x3c : 0x30) & 0xffff;
        if (shoff == 0 || shnum == 0) {
            return List.of();
        }
        if (shentsize < (is64 ? 64 : 40) || !fits(bytes, shoff, (long) shentsize * shnum)) {
            throw new IllegalArgumentException("ELF section header table lies outside the file");
        }
        Section symtab = null;
        Section dynsym = null;
        Section[] sections = new Section[shnum];
        for (int i = 0; i < shnum; i++) {
            sections[i] = Section.read(b, (int) (shoff + (long) i * shentsize), is64);
            if (sections[i].type == SHT_SYMTAB && symtab == null) {
                symtab = sections[i];
            } else if (sections[i].type == SHT_DYNSYM && dynsym == null) {
                dynsym = sections[i];
            }
        }
        Section table = symtab != null ? symtab : dynsym;
        if (table == null) {
            return List.of();
        }
        if (table.link >= shnum) {
            throw new IllegalArgumentException("ELF symbol table links to a missing string table");
        }
        Section strings = sections[table.link];
        if (!fits(bytes, table.offset, table.size) || !fits(bytes, strings.offset, strings.size)) {
            throw new IllegalArgumentException("ELF symbol or string table lies outside the file");
        }
        int entsize = is64 ? 24 : 16;
        List<Symbol> out = new ArrayList<>();
        for (long at = table.offset; at + entsize <= table.offset + table.size; at += entsize) {
            int p = (int) at;
            int nameOffset = b.getInt(p);
            long value = is64 ? b.getLong(p + 8) : b.getInt(p + 4) & 0xffff_ffffL;
            long size = is64 ? b.getLong(p + 16) : b.getInt(p + 8) & 0xffff_ffffL;
            int info = b.get(is64 ? p + 4 : p + 12) & 0xff;
            int shndx = b.getShort(is64 ? p + 6 : p + 14) & 0xffff;
            int type = info & 15;
            int bind = info >> 4;
            if (shndx == SHN_UNDEF || shndx == SHN_ABS || (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)) {
                continue;
            }
            String name = string(bytes, strings, nameOffset & 0xffff_ffffL);
            if (name.isEmpty()) {
                continue;
            }
            char letter = type == STT_FUNC || type == STT_NOTYPE ? 't' : 'd';
            out.add(new Symbol(value, size, bind == STB_LOCAL ? letter : Character.toUpperCase(letter), name));
        }
        return out;
    }

    private static boolean fits(byte[] bytes, long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= bytes.length && length <= bytes.length - offset;
    }

    private static String string(byte[] bytes, Section strings, long offset) {
        if (offset >= strings.size) {
            throw new IllegalArgumentException("ELF symbol name lies outside its string table");
        }
        int start = (int) (strings.offset + offset);
        int end = start;
        int limit = (int) (strings.offset + strings.size);
        while (end < limit && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, start, end - start, StandardCharsets.UTF_8);
    }

    /** The fields of a section header this reader needs. */
    private record Section(int type, long offset, long size, int link) {
        static Section read(ByteBuffer b, int p, boolean is64) {
            int type = b.getInt(p + 4);
            if (is64) {
                return new Section(type, b.getLong(p + 0x18), b.getLong(p + 0x20), b.getInt(p + 0x28));
            }
            return new Section(type, b.getInt(p + 0x10) & 0xffff_ffffL, b.getInt(p + 0x14) & 0xffff_ffffL,
                    b.getInt(p + 0x18));
        }
    }
}
