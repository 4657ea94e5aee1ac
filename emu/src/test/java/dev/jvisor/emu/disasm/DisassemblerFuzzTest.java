package dev.jvisor.emu.disasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.emu.cpu.Entropy;
import dev.jvisor.emu.cpu.InstructionSoup;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The disassembler over arbitrary bytes (crash reports and traces print guest code with it): every
 * decode returns an instruction of 1 to 15 bytes within what was available, never an exception;
 * consecutive decoding covers the input exactly; and an instruction that decoded completely decodes
 * the same whatever bytes follow it (it read nothing past its end). {@link #arbitraryCode} is the
 * Jazzer target; {@link #seededSeries} the fixed series for every build ({@code -Djvisor.fuzz.scale=N},
 * {@code -Djvisor.fuzz.seed=S}).
 */
class DisassemblerFuzzTest {
    private static final int SCALE = Integer.getInteger("jvisor.fuzz.scale", 1);
    private static final long SEED = Long.getLong("jvisor.fuzz.seed", 0xD15A5L);
    /** Names every address whose low bits are zero, like a symbol table would some. */
    private static final AddressNamer NAMER = a -> (a & 0xf) == 0 ? "sym_" + Long.toHexString(a >>> 4) + "+0x0" : null;
    private static final Pattern ONLY_PREFIXES = Pattern.compile(
            "((rex(\\.[WRXB]+)?|[c-gs]s|data16|data32|addr16|addr32|lock|repz|repnz|rep|notrack|bnd)( |$))+");
    private static final long[] ADDRESSES = {0, 0x1000, 0xffff_fff0L, 0xffff_ffff_ffff_fff0L, 0x7fff_ffff_fff8L,
        0xffff_ffff_8100_0000L, 0xfff0, Long.MAX_VALUE - 4};

    @FuzzTest(maxDuration = "5m")
    void arbitraryCode(FuzzedDataProvider data) {
        CodeSize size = data.pickValue(CodeSize.values());
        long address = data.consumeBoolean() ? data.pickValue(ADDRESSES) : data.consumeLong();
        boolean named = data.consumeBoolean();
        byte[] code = data.consumeBoolean() ? data.consumeRemainingAsBytes()
                : InstructionSoup.code(Entropy.of(data), size.bits(), 1 + data.consumeInt(0, 63));
        if (code.length > 0) {
            check(size, code, address, named);
        }
    }

    @Test
    @Timeout(300) // a hang guard: the series takes a few seconds
    void seededSeries() {
        Map<String, String> failures = new LinkedHashMap<>();
        int rounds = 30_000 * SCALE;
        CodeSize[] sizes = CodeSize.values();
        for (int round = 0; round < rounds; round++) {
            SplittableRandom random = new SplittableRandom(SEED + round * 0x9E37_79B9L);
            CodeSize size = sizes[round % sizes.length];
            long address = random.nextBoolean() ? ADDRESSES[random.nextInt(ADDRESSES.length)] : random.nextLong();
            byte[] code;
            if (random.nextInt(4) == 0) {
                code = new byte[1 + random.nextInt(48)];
                random.nextBytes(code);
            } else {
                code = InstructionSoup.code(Entropy.of(random), size.bits(), 1 + random.nextInt(48));
            }
            try {
                check(size, code, address, random.nextBoolean());
            } catch (Throwable t) {
                StackTraceElement[] st = t.getStackTrace();
                String key = t instanceof AssertionError ? t.getMessage().replaceAll("-?\\b[0-9a-fx]+\\b", "#")
                        : t.getClass().getName() + (st.length > 0 ? st[0] : "");
                if (!failures.containsKey(key) && failures.size() < 50) {
                    failures.put(key, String.format("round %d: %d-bit code at 0x%x: %s%n%s", round, size.bits(), address,
                            HexFormat.of().formatHex(code), stackOf(t)));
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " distinct failures:\n\n" + String.join("\n\n", failures.values()));
        }
    }

    private static String stackOf(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(st.length, 8); i++) {
            sb.append("\n  at ").append(st[i]);
        }
        return sb.toString();
    }

    private static void check(CodeSize size, byte[] code, long address, boolean named) {
        Disassembler dis = new Disassembler(size, named ? NAMER : null);
        List<DecodedInstruction> all = dis.decodeAll(code, 0, code.length, address);
        int at = 0;
        for (DecodedInstruction insn : all) {
            assertThat(insn.address()).isEqualTo(address + at);
            assertThat(insn.length()).isBetween(1, Math.min(15, code.length - at));
            assertThat(insn.text()).isNotBlank();
            if (!insn.isBad() && !ONLY_PREFIXES.matcher(insn.text()).matches()) {
                // Complete: the same with exactly its bytes, and with anything after them. (Prefixes
                // printed on their own, as objdump does when the next byte makes them unusable, do
                // depend on what follows.)
                byte[] exact = Arrays.copyOfRange(code, at, at + insn.length());
                assertThat(dis.decode(exact, insn.address())).as("alone").isEqualTo(insn);
                byte[] longer = Arrays.copyOf(exact, exact.length + 15);
                Arrays.fill(longer, exact.length, longer.length, (byte) 0x0f);
                assertThat(dis.decode(longer, insn.address())).as("followed by other bytes").isEqualTo(insn);
            }
            at += insn.length();
        }
        assertThat(at).isEqualTo(code.length);
    }
}
