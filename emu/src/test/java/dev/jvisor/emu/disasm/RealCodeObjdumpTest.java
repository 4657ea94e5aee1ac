package dev.jvisor.emu.disasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real machine code disassembled by objdump and by us, line by line: Debian's 6.1 kernel text
 * (decompressed from its bzImage, when unpacked on this machine) and the text of a system binary.
 */
class RealCodeObjdumpTest {
    private static final Path KERNEL = Path.of("/tmp/kern/x/boot/vmlinuz-6.1.0-56-cloud-amd64");
    private static final int SLICE = 1 << 20;

    @TempDir
    Path dir;

    @BeforeAll
    static void needObjdump() {
        assumeTrue(ObjdumpOracle.available(), "GNU objdump is not installed");
    }

    @Test
    void debianKernelTextMatchesObjdump() throws Exception {
        assumeTrue(Files.isRegularFile(KERNEL), "Debian kernel not unpacked at " + KERNEL);
        byte[] vmlinux = KernelImage.vmlinux(Files.readAllBytes(KERNEL));
        long[] text = section(vmlinux, ".text");
        // The start of the kernel (entry code, early boot) and a slice from the middle of .text.
        for (long at : new long[] {0, (text[2] / 2) & ~0xfffL}) {
            compare(Arrays.copyOfRange(vmlinux, (int) (text[1] + at), (int) (text[1] + at + SLICE)),
                    text[0] + at);
        }
    }

    @Test
    void systemBinaryTextMatchesObjdump() throws Exception {
        Path binary = Path.of("/usr/bin/bash");
        assumeTrue(Files.isRegularFile(binary), "no /usr/bin/bash");
        byte[] elf = Files.readAllBytes(binary);
        long[] text = section(elf, ".text");
        int length = (int) Math.min(text[2], SLICE);
        compare(Arrays.copyOfRange(elf, (int) text[1], (int) text[1] + length), text[0]);
    }

    private void compare(byte[] code, long vma) throws Exception {
        List<ObjdumpOracle.Line> lines = ObjdumpOracle.disassemble(code, CodeSize.BITS_64, vma, dir);
        assertThat(lines.size()).isGreaterThan(code.length / 16);
        List<ObjdumpOracle.Mismatch> mismatches = KnownDifferences.unexplained(
                ObjdumpOracle.compare(code, CodeSize.BITS_64, vma, lines, null), CodeSize.BITS_64);
        assertThat(mismatches.size()).as(ObjdumpCorpusTest.summary(mismatches, lines.size())).isZero();
    }

    /** {address, file offset, size} of a named section of a little-endian ELF64 file. */
    static long[] section(byte[] elf, String wanted) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = b.getLong(0x28);
        int shnum = b.getShort(0x3c) & 0xffff;
        int shstrndx = b.getShort(0x3e) & 0xffff;
        long names = b.getLong((int) (shoff + 64L * shstrndx + 0x18));
        for (int i = 0; i < shnum; i++) {
            int p = (int) (shoff + 64L * i);
            int n = (int) (names + b.getInt(p));
            int e = n;
            while (elf[e] != 0) {
                e++;
            }
            if (new String(elf, n, e - n, StandardCharsets.US_ASCII).equals(wanted)) {
                return new long[] {b.getLong(p + 0x10), b.getLong(p + 0x18), b.getLong(p + 0x20)};
            }
        }
        throw new IllegalArgumentException("no section " + wanted);
    }
}
