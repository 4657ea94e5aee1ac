package dev.jvisor.emu.disasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Recovers kallsyms from Debian's real 6.1 kernel (skipped when it has not been unpacked here) and
 * checks it against an independent source in the same image: the exported-symbol table
 * {@code __ksymtab}, whose entries hold PC-relative offsets to each exported symbol and its name.
 */
class KallsymsTest {
    private static final Path KERNEL = Path.of("/tmp/kern/x/boot/vmlinuz-6.1.0-56-cloud-amd64");
    private static byte[] vmlinux;
    private static SymbolTable table;

    @BeforeAll
    static void load() throws Exception {
        assumeTrue(Files.isRegularFile(KERNEL), "Debian kernel not unpacked at " + KERNEL);
        vmlinux = KernelImage.vmlinux(Files.readAllBytes(KERNEL));
        table = SymbolTable.of(Kallsyms.find(vmlinux));
    }

    @Test
    void decompressedImageIsTheKernelElf() {
        assertThat(ElfSymbols.isElf(vmlinux)).isTrue();
        assertThat(ElfSymbols.read(vmlinux)).as("Debian's vmlinux is stripped").isEmpty();
        assertThat(vmlinux.length).isGreaterThan(20 << 20);
    }

    @Test
    void wellKnownSymbolsHaveTheirAddresses() {
        assertThat(table.size()).isGreaterThan(50_000);
        assertThat(table.addressOf("_text")).hasValue(0xffffffff81000000L);
        assertThat(table.addressOf("startup_64")).hasValue(0xffffffff81000000L);
        Symbol startKernel = table.find("start_kernel").orElseThrow();
        assertThat(startKernel.type()).isEqualTo('T');
        assertThat(table.nameOf(startKernel.address() + 5)).isEqualTo("start_kernel+0x5");
        assertThat(table.find("jiffies_64")).isPresent();
    }

    @Test
    void everyExportedSymbolMatchesKsymtab() {
        Map<String, Long> exported = ksymtab(vmlinux);
        assertThat(exported).hasSizeGreaterThan(1000);
        int checked = 0;
        for (Map.Entry<String, Long> e : exported.entrySet()) {
            assertThat(table.addressOf(e.getKey())).as(e.getKey()).hasValue(e.getValue());
            checked++;
        }
        assertThat(checked).isEqualTo(exported.size());
    }

    @Test
    void bzImageLoadsThroughTheGenericLoader() throws Exception {
        SymbolTable loaded = SymbolTable.load(KERNEL);
        assertThat(loaded.size()).isEqualTo(table.size());
        assertThat(loaded.addressOf("do_syscall_64")).isEqualTo(table.addressOf("do_syscall_64"));
    }

    /** name -> address from __ksymtab and __ksymtab_gpl (struct kernel_symbol with PREL32 offsets). */
    private static Map<String, Long> ksymtab(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        long shoff = b.getLong(0x28);
        int shnum = b.getShort(0x3c) & 0xffff;
        int shstrndx = b.getShort(0x3e) & 0xffff;
        long[][] sections = new long[shnum][];
        String[] names = new String[shnum];
        for (int i = 0; i < shnum; i++) {
            int p = (int) (shoff + 64L * i);
            sections[i] = new long[] {b.getLong(p + 0x10), b.getLong(p + 0x18), b.getLong(p + 0x20)};
        }
        long strtab = sections[shstrndx][1];
        for (int i = 0; i < shnum; i++) {
            int p = (int) (shoff + 64L * i);
            names[i] = cString(elf, (int) (strtab + b.getInt(p)));
        }
        Map<String, Long> out = new HashMap<>();
        for (int i = 0; i < shnum; i++) {
            if (!names[i].equals("__ksymtab") && !names[i].equals("__ksymtab_gpl")) {
                continue;
            }
            long address = sections[i][0];
            long offset = sections[i][1];
            for (long e = 0; e + 12 <= sections[i][2]; e += 12) {
                long value = address + e + b.getInt((int) (offset + e));
                long nameAddress = address + e + 4 + b.getInt((int) (offset + e + 4));
                out.put(cString(elf, fileOffset(sections, nameAddress)), value);
            }
        }
        return out;
    }

    private static int fileOffset(long[][] sections, long address) {
        for (long[] s : sections) {
            if (s[0] != 0 && address >= s[0] && address < s[0] + s[2]) {
                return (int) (s[1] + address - s[0]);
            }
        }
        throw new IllegalStateException("address not in any section: " + Long.toHexString(address));
    }

    private static String cString(byte[] b, int p) {
        int e = p;
        while (b[e] != 0) {
            e++;
        }
        return new String(b, p, e - p, StandardCharsets.ISO_8859_1);
    }
}
