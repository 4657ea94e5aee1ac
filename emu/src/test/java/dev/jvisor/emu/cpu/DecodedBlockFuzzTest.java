package dev.jvisor.emu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.emu.cpu.GuestCodeFuzzer.Mode;
import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.Segment;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.TinyGuest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The decoder and the translation tier on arbitrary bytes, without the run loop: decode a block in
 * each mode ({@link Translator}), check its shape, execute its instructions directly from random
 * register state the way the executor does, compile it ({@link BlockCompiler}: the generated class
 * must define and verify for any decodable block) and run the compiled form, and print the crash
 * report ({@link CpuDump}) for the code. Only guest exceptions ({@link CpuException}) may come out.
 *
 * <p>Much cheaper per case than {@link GuestCodeFuzzTest} (no run loop, one block), so it covers
 * many more encodings. {@link #arbitraryBlock} is the Jazzer target; {@link #seededSeries} the
 * fixed series for every build ({@code -Djvisor.fuzz.scale=N}, {@code -Djvisor.fuzz.seed=S}).
 */
class DecodedBlockFuzzTest {
    private static final int SCALE = Integer.getInteger("jvisor.fuzz.scale", 1);
    private static final long SEED = Long.getLong("jvisor.fuzz.seed", 0xDEC0DEL);
    private static final int COMPILE_EVERY = Integer.getInteger("jvisor.fuzz.compileEvery", 16);
    private static final long RAM = 1 << 20;
    private static final long TABLES = TinyGuest.PML4;
    private static final GuestMemory MEMORY = GuestMemory.flat(RAM);
    private static final Mode[] MODES = Mode.values();
    /** Per mode: the tiny guest's boot state and its tables (restored before every case). */
    private static final GuestBoot[] BOOT = new GuestBoot[MODES.length];
    private static final byte[][] TABLE_IMAGE = new byte[MODES.length][];
    private static final byte[] IVT = new byte[0x400];
    private static final CodeCache CODE_CACHE = new CodeCache();

    static {
        for (Mode m : MODES) {
            TinyGuest g = switch (m) {
                case LONG_CPL0, LONG_CPL3, COMPAT_CPL0, COMPAT_CPL3 -> TinyGuest.longMode();
                case PROTECTED_CPL0, PROTECTED_CPL3, PROTECTED_16 -> TinyGuest.protectedMode();
                case REAL -> TinyGuest.realMode();
            };
            if (m.user()) {
                g.userMode();
            }
            for (int v = 0; v < 256; v++) {
                g.interruptGate(v, GuestCodeFuzzer.HANDLERS, 3);
            }
            GuestBoot boot = g.build(MEMORY);
            SystemRegisters s = boot.systemRegisters();
            Segment cs = switch (m) {
                case COMPAT_CPL0 -> Segment.code32(TinyGuest.KERNEL_CS32);
                case COMPAT_CPL3 -> new Segment(TinyGuest.USER_CS32, 0, 0xffff_ffff, 0xb, true, 3, true, true, false,
                        true, false, false);
                case PROTECTED_16 -> new Segment(TinyGuest.CODE16, 0, 0xffff, 0xb, true, 0, false, true, false, false,
                        false, false);
                default -> s.cs();
            };
            s = new SystemRegisters(cs, s.ds(), s.es(), s.fs(), s.gs(), s.ss(), s.tr(), s.ldt(), s.gdt(), s.idt(),
                    s.cr0(), s.cr2(), s.cr3(), s.cr4() | (m.codeBits != 64 ? ControlRegisters.CR4_OSFXSR : 0), 0,
                    s.efer(), s.apicBase());
            BOOT[m.ordinal()] = new GuestBoot(boot.registers(), s, boot.msrs());
            TABLE_IMAGE[m.ordinal()] = MEMORY.read(TABLES, (int) (TinyGuest.LAYOUT_END - TABLES));
        }
        MEMORY.read(0, IVT, 0, IVT.length);
    }

    @AfterAll
    static void closeMemory() {
        MEMORY.close();
    }

    @FuzzTest(maxDuration = "5m")
    void arbitraryBlock(FuzzedDataProvider data) {
        Mode mode = data.pickValue(MODES);
        boolean compile = data.consumeBoolean();
        byte[] code = data.consumeBoolean() ? data.consumeBytes(1 + data.consumeInt(0, 255)) : null;
        exercise(Entropy.of(data), mode, code, compile);
    }

    @Test
    @Timeout(300) // a hang guard: the series takes a few seconds
    void seededSeries() {
        Map<String, String> failures = new LinkedHashMap<>();
        int rounds = 20_000 * SCALE;
        long start = System.nanoTime();
        int compiled = 0;
        for (int round = 0; round < rounds; round++) {
            SplittableRandom random = new SplittableRandom(SEED + round * 0x9E37_79B9L);
            Mode mode = MODES[round % MODES.length];
            boolean compile = round % COMPILE_EVERY == 0;
            compiled += compile ? 1 : 0;
            byte[] code = null;
            if (random.nextInt(4) == 0) {
                code = new byte[1 + random.nextInt(32)];
                random.nextBytes(code);
            }
            try {
                exercise(Entropy.of(random), mode, code, compile);
            } catch (Throwable t) {
                StackTraceElement[] st = t.getStackTrace();
                String key = t.getClass().getName() + (st.length > 0 ? st[0] : "");
                if (!failures.containsKey(key) && failures.size() < 50) {
                    failures.put(key, "round " + round + " (seed " + SEED + "): " + describe(t));
                }
            }
        }
        System.out.printf("%d blocks (%d compiled, %d VEX/EVEX instructions) in %.1f s%n", rounds, compiled, vexSeen,
                (System.nanoTime() - start) / 1e9);
        if (!failures.isEmpty()) {
            throw new AssertionError(failures.size() + " distinct failures:\n\n" + String.join("\n\n", failures.values()));
        }
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(String.valueOf(t.getMessage()));
        for (Throwable c = t instanceof BlockFailure ? t.getCause() : t; c != null; c = c.getCause()) {
            sb.append("\n").append(c);
            StackTraceElement[] st = c.getStackTrace();
            for (int i = 0; i < Math.min(st.length, 10); i++) {
                sb.append("\n  at ").append(st[i]);
            }
        }
        return sb.toString();
    }

    /** A failure with the case that caused it. */
    static final class BlockFailure extends AssertionError {
        BlockFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static void exercise(Entropy e, Mode mode, byte[] givenCode, boolean compile) {
        GuestBoot boot = BOOT[mode.ordinal()];
        MEMORY.write(TABLES, TABLE_IMAGE[mode.ordinal()]);
        MEMORY.write(0, IVT);
        TestEnvironment env = new TestEnvironment();
        Cpu cpu = new Cpu(0, e.oneIn(4) ? 2 : 1, MEMORY, env);
        env.cpu = cpu;
        cpu.mmu.codeCache = CODE_CACHE; // for its lock: blocks here are never inserted
        cpu.setSystemRegisters(boot.systemRegisters());
        boot.msrs().forEach(cpu::setMsr);
        byte[] code = givenCode != null ? givenCode : InstructionSoup.code(e, mode.codeBits, 1 + e.below(64));
        long linear = switch (e.below(4)) {
            case 0 -> 0x11000 - 1 - e.below(15);
            case 1 -> RAM - 1 - e.below(15);
            default -> TinyGuest.CODE + e.below(0x800);
        };
        int room = (int) Math.min(code.length, RAM - linear);
        MEMORY.write(linear, code, 0, room);
        long[] r = new long[16];
        for (int i = 0; i < 16; i++) {
            r[i] = GuestCodeFuzzer.value(e, mode);
        }
        cpu.setRegisters(Registers.fromEncodingOrder(r, linear, 2 | (e.bits64() & 0xcd5)));
        cpu.setFpu(FpuState.initial());
        boolean describe = e.oneIn(8);
        String what = String.format("mode %s, code at 0x%x: %s", mode, linear, HexFormat.of().formatHex(code, 0, room));
        Translator translator = new Translator(cpu);
        Block b;
        try {
            Block decoded;
            try {
                decoded = translator.translate(linear, cpu.mmu.fetchHostOffset(linear), 0, cpu.codeSize);
            } catch (CpuException fetchFault) {
                return;
            }
            b = decoded;
            checkShape(b, linear, cpu.codeSize);
            CompiledBlock compiled = compile ? new BlockCompiler().compile(b) : null;
            if (compiled != null) {
                try {
                    cpu.exitBlock = false;
                    compiled.run(cpu);
                } catch (CpuException guest) {
                    // delivered by the executor
                }
            } else {
                interpret(cpu, b);
            }
            assertThat(GuestCodeFuzzer.brokenInvariant(cpu)).isNull();
            if (describe) {
                cpu.rip = linear;
                assertThat(CpuDump.describe(cpu, translator.decoder(), null)).contains("code:");
            }
        } catch (Throwable t) {
            throw new BlockFailure(what + ": " + t, t);
        }
    }

    /** As the executor runs a block, without delivering the exception that ends it. */
    private static void interpret(Cpu c, Block b) {
        Insn[] insns = b.insns;
        int n = insns.length - 1;
        c.exitBlock = false;
        try {
            for (int i = 0; i < n; i++) {
                insns[i].exec(c);
                if (c.exitBlock) {
                    return;
                }
            }
            Insn last = insns[n];
            c.rip = last.rip + last.length;
            last.exec(c);
        } catch (CpuException guest) {
            // the executor would deliver it
        }
    }

    private static void checkShape(Block b, long linear, int codeSize) {
        assertThat(b.insns).isNotEmpty().hasSizeLessThanOrEqualTo(Translator.MAX_INSNS);
        long at = linear;
        for (int i = 0; i < b.insns.length; i++) {
            Insn in = b.insns[i];
            assertThat(in.length).as("length of instruction %d", i).isBetween(1, 15);
            assertThat(in.rip).as("rip of instruction %d", i).isEqualTo(codeSize == 64 ? at : at & 0xffff_ffffL);
            assertThat(i == b.insns.length - 1 || !in.endsBlock()).as("only the last instruction ends the block")
                    .isTrue();
            if (isVexOrEvex(at, codeSize)) {
                assertThat(in).as("VEX/EVEX instruction %d (no AVX is advertised)", i).isInstanceOf(Misc.Undefined.class);
                vexSeen++;
            }
            at += in.length;
        }
    }

    private static final Set<Integer> LEGACY_PREFIXES = Set.of(0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26,
            0x2e, 0x36, 0x3e, 0x64, 0x65);
    private static long vexSeen;

    /**
     * Whether the instruction at {@code at} is VEX (C4/C5) or EVEX (62) encoded: always in 64-bit
     * mode, elsewhere when the next byte would be a register ModR/M (LES/LDS/BOUND need memory).
     */
    private static boolean isVexOrEvex(long at, int codeSize) {
        long p = at;
        int b;
        for (int k = 0; k < 15 && p < RAM; k++, p++) {
            b = MEMORY.readU8(p);
            if (LEGACY_PREFIXES.contains(b) || (codeSize == 64 && (b & 0xf0) == 0x40)) {
                continue;
            }
            if (b != 0xc4 && b != 0xc5 && b != 0x62) {
                return false;
            }
            return codeSize == 64 || (p + 1 < RAM && MEMORY.readU8(p + 1) >= 0xc0);
        }
        return false;
    }
}
