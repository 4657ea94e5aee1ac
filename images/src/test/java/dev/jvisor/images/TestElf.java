package dev.jvisor.images;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds minimal ELF64 relocatable files with a {@code .modinfo} section, like kernel modules. */
final class TestElf {
    private TestElf() {
    }

    /** A module whose .modinfo holds {@code name=} and {@code depends=} (comma-joined). */
    static byte[] module(String name, String... depends) {
        String modinfo = "license=GPL\0" + (name == null ? "" : "name=" + name + "\0")
                + "depends=" + String.join(",", depends) + "\0vermagic=6.1.0 SMP mod_unload\0";
        return elf(modinfo.getBytes(StandardCharsets.UTF_8), ".modinfo");
    }

    /** An ELF64 LE file with one data section called {@code sectionName} plus the name table. */
    static byte[] elf(byte[] sectionData, String sectionName) {
        byte[] names = ("\0" + sectionName + "\0.shstrtab\0").getBytes(StandardCharsets.US_ASCII);
        int dataOffset = 64;
        int namesOffset = dataOffset + sectionData.length;
        int tableOffset = (namesOffset + names.length + 7) & ~7;
        ByteBuffer file = ByteBuffer.allocate(tableOffset + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
        file.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        file.putShort(16, (short) 1);        // e_type ET_REL
        file.putShort(18, (short) 62);       // e_machine EM_X86_64
        file.putInt(20, 1);                  // e_version
        file.putLong(0x28, tableOffset);     // e_shoff
        file.putShort(0x34, (short) 64);     // e_ehsize
        file.putShort(0x3a, (short) 64);     // e_shentsize
        file.putShort(0x3c, (short) 3);      // e_shnum
        file.putShort(0x3e, (short) 2);      // e_shstrndx
        file.put(dataOffset, sectionData);
        file.put(namesOffset, names);
        section(file, tableOffset + 64, 1, 1, dataOffset, sectionData.length);
        section(file, tableOffset + 128, 1 + sectionName.length() + 1, 3, namesOffset, names.length);
        return file.array();
    }

    private static void section(ByteBuffer file, int at, int nameOffset, int type, long offset, long size) {
        file.putInt(at, nameOffset);
        file.putInt(at + 4, type);
        file.putLong(at + 0x18, offset);
        file.putLong(at + 0x20, size);
        file.putLong(at + 0x30, 1);
    }

    /** A fake bzImage: zeros with the "HdrS" magic at 0x202 (boot.rst). */
    static byte[] bzImage(int size) {
        byte[] image = new byte[size];
        image[0x1fe] = 0x55;
        image[0x1ff] = (byte) 0xaa;
        System.arraycopy("HdrS".getBytes(StandardCharsets.US_ASCII), 0, image, 0x202, 4);
        return image;
    }

    /** Bytes that pass as a static x86-64 executable header. */
    static byte[] executable() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 62, 0});
        out.writeBytes(new byte[200]);
        return out.toByteArray();
    }
}
