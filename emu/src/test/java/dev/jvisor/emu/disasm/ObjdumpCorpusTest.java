package dev.jvisor.emu.disasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The opcode-map corpus and seeded random bytes, disassembled by objdump and by us, in all three modes. */
class ObjdumpCorpusTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needObjdump() {
        assumeTrue(ObjdumpOracle.available(), "GNU objdump is not installed");
    }

    @ParameterizedTest
    @EnumSource(CodeSize.class)
    void opcodeMapsMatchObjdump(CodeSize size) throws Exception {
        OpcodeCorpus corpus = OpcodeCorpus.forMode(size);
        byte[] code = corpus.bytes();
        long vma = size == CodeSize.BITS_64 ? 0xffffffff81000000L : size == CodeSize.BITS_32 ? 0xc1000000L : 0;
        List<ObjdumpOracle.Line> lines = ObjdumpOracle.disassemble(code, size, vma, dir);
        assertThat(lines.size()).isGreaterThan(corpus.size());
        List<ObjdumpOracle.Mismatch> mismatches = KnownDifferences.unexplained(
                ObjdumpOracle.compare(code, size, vma, lines, null), size);
        assertThat(mismatches.size()).as(summary(mismatches, lines.size())).isZero();
    }

    @ParameterizedTest
    @EnumSource(CodeSize.class)
    void randomBytesMatchObjdump(CodeSize size) throws Exception {
        byte[] code = new byte[256 * 1024];
        new java.util.Random(20240611L + size.bits()).nextBytes(code);
        List<ObjdumpOracle.Line> lines = ObjdumpOracle.disassemble(code, size, 0x1000, dir);
        List<ObjdumpOracle.Mismatch> mismatches = KnownDifferences.unexplained(
                ObjdumpOracle.compare(code, size, 0x1000, lines, null), size);
        assertThat(mismatches.size()).as(summary(mismatches, lines.size())).isZero();
    }

    static String summary(List<ObjdumpOracle.Mismatch> mismatches, int lines) {
        String dump = System.getProperty("disasm.dump");
        if (dump != null) {
            try {
                java.nio.file.Files.write(Path.of(dump), mismatches.stream().map(Object::toString).toList(),
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        Map<String, List<ObjdumpOracle.Mismatch>> byMnemonic = mismatches.stream().collect(Collectors.groupingBy(
                m -> m.objdump().split(" ")[0], TreeMap::new, Collectors.toList()));
        StringBuilder sb = new StringBuilder(mismatches.size() + " of " + lines + " lines differ, "
                + byMnemonic.size() + " objdump mnemonics:\n");
        byMnemonic.entrySet().stream().sorted((a, b) -> b.getValue().size() - a.getValue().size()).limit(
                Integer.getInteger("disasm.groups", 40)).forEach(e -> {
                    sb.append(String.format("%6d %s%n", e.getValue().size(), e.getKey()));
                    e.getValue().stream().limit(Integer.getInteger("disasm.examples", 3))
                            .forEach(m -> sb.append("        ").append(m).append('\n'));
                });
        return sb.toString();
    }
}
