package dev.jvisor.emu.disasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** System.map and ELF symbol loading, address lookup, and the disassembler naming targets with it. */
class SymbolTableTest {
    @TempDir
    Path dir;

    private static final String MAP = """
            ffffffff81000000 T _text
            ffffffff81000000 T startup_64
            ffffffff81000070 T secondary_startup_64
            ffffffff81000100 t verify_cpu
                             U some_undefined
            0000000000000000 A absolute_thing
            ffffffff82000000 D jiffies
            """;

    @Test
    void systemMapLookupNamesAddressesWithOffsets() {
        SymbolTable t = SymbolTable.of(SystemMap.parse(MAP));
        assertThat(t.addressOf("secondary_startup_64")).hasValue(0xffffffff81000070L);
        assertThat(t.addressOf("some_undefined")).isEmpty();
        assertThat(t.addressOf("absolute_thing")).isEmpty();
        assertThat(t.nameOf(0xffffffff81000000L)).isIn("_text", "startup_64");
        assertThat(t.nameOf(0xffffffff81000075L)).isEqualTo("secondary_startup_64+0x5");
        assertThat(t.nameOf(0xffffffff810000ffL)).isEqualTo("secondary_startup_64+0x8f");
        assertThat(t.nameOf(0xffffffff80ffffffL)).isNull();
        assertThat(t.nameOf(0xffffffff82000010L)).isEqualTo("jiffies+0x10");
        assertThat(t.nameOf(0xffffffff82000000L + (2 << 20))).as("far past the last symbol").isNull();
    }

    @Test
    void malformedSystemMapLinesAreReportedWithTheirNumber() {
        assertThatThrownBy(() -> SystemMap.parse("ffffffff81000000 T ok\nnot a map line at all\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2");
        assertThatThrownBy(() -> SystemMap.parse("zzzz T name\n")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void debianPlaceholderSystemMapParses() throws IOException {
        Path map = Path.of("/tmp/kern/x/boot/System.map-6.1.0-56-cloud-amd64");
        assumeTrue(Files.isRegularFile(map), "Debian kernel not unpacked");
        assertThat(SymbolTable.load(map).size()).isLessThanOrEqualTo(1);
    }

    @Test
    void disassemblerNamesBranchAndRipRelativeTargets() {
        SymbolTable t = SymbolTable.of(SystemMap.parse(MAP));
        Disassembler dis = new Disassembler(CodeSize.BITS_64, t);
        // call secondary_startup_64 from _text+0x10: e8 rel32 = 0x70 - 0x15
        byte[] call = {(byte) 0xe8, 0x5b, 0, 0, 0};
        assertThat(dis.decode(call, 0xffffffff81000010L).text())
                .isEqualTo("call   0xffffffff81000070 <secondary_startup_64>");
        // mov 0x0(%rip),%rax at verify_cpu aiming at jiffies+8
        long at = 0xffffffff81000100L;
        long disp = 0xffffffff82000008L - (at + 7);
        byte[] mov = {0x48, (byte) 0x8b, 0x05, (byte) disp, (byte) (disp >> 8), (byte) (disp >> 16), (byte) (disp >> 24)};
        assertThat(dis.decode(mov, at).text())
                .isEqualTo("mov    0xffff01(%rip),%rax        # 0xffffffff82000008 <jiffies+0x8>");
    }

    @Test
    void elfSymbolsMatchNm() throws Exception {
        assumeTrue(tool("as") && tool("ld") && tool("nm"), "binutils not installed");
        Path src = Files.writeString(dir.resolve("t.s"), """
                .text
                .globl _start
                _start: nop
                        call helper
                        ret
                helper: mov $1, %eax
                        ret
                .type counter, @object
                .size counter, 8
                .data
                .globl counter
                counter: .quad 0
                """);
        run("as", "-o", dir.resolve("t.o").toString(), src.toString());
        run("ld", "-o", dir.resolve("t").toString(), dir.resolve("t.o").toString());
        SymbolTable t = SymbolTable.load(dir.resolve("t"));
        Map<String, Long> nm = nm(dir.resolve("t"));
        assertThat(t.addressOf("_start")).hasValue(nm.get("_start"));
        assertThat(t.addressOf("helper")).hasValue(nm.get("helper"));
        assertThat(t.addressOf("counter")).hasValue(nm.get("counter"));
        assertThat(t.find("counter").orElseThrow().size()).isEqualTo(8);
        assertThat(t.nameOf(nm.get("helper") + 5)).isEqualTo("helper+0x5");
    }

    @Test
    void strippedSharedObjectFallsBackToDynsym() throws Exception {
        assumeTrue(tool("as") && tool("ld") && tool("strip"), "binutils not installed");
        Path src = Files.writeString(dir.resolve("lib.s"), """
                .text
                .globl exported
                .type exported, @function
                exported: ret
                .size exported, 1
                """);
        run("as", "-o", dir.resolve("lib.o").toString(), src.toString());
        run("ld", "-shared", "-o", dir.resolve("lib.so").toString(), dir.resolve("lib.o").toString());
        long before = SymbolTable.load(dir.resolve("lib.so")).addressOf("exported").orElseThrow();
        run("strip", dir.resolve("lib.so").toString());
        assertThat(SymbolTable.load(dir.resolve("lib.so")).addressOf("exported")).hasValue(before);
    }

    @Test
    void damagedElfIsAClearError() {
        byte[] elf = new byte[64];
        elf[0] = 0x7f;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        elf[4] = 2;
        elf[5] = 1;
        elf[0x28] = (byte) 0xf0; // section headers far outside the file
        elf[0x3a] = 64;
        elf[0x3c] = 3;
        assertThatThrownBy(() -> SymbolTable.fromBytes(elf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside the file");
    }

    private static boolean tool(String name) {
        try {
            Process p = new ProcessBuilder(name, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    private static Map<String, Long> nm(Path file) throws Exception {
        Map<String, Long> out = new HashMap<>();
        for (String line : run("nm", file.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) {
                out.put(f[2], Long.parseUnsignedLong(f[0], 16));
            }
        }
        return out;
    }

    @Test
    void symbolTableOfSymbolsKeepsGlobalsForSharedNames() {
        SymbolTable t = SymbolTable.of(List.of(new Symbol(0x1000, 0, 't', "dup"), new Symbol(0x2000, 0, 'T', "dup")));
        assertThat(t.addressOf("dup")).hasValue(0x2000);
        assertThat(t.nameOf(0x1004)).isEqualTo("dup+0x4");
    }
}
