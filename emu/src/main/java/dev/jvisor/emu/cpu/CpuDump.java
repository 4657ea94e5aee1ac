package dev.jvisor.emu.cpu;

import dev.jvisor.emu.disasm.AddressNamer;
import dev.jvisor.emu.disasm.CodeSize;
import dev.jvisor.emu.disasm.DecodedInstruction;
import dev.jvisor.emu.disasm.Disassembler;
import dev.jvisor.emu.disasm.SymbolTable;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Human-readable CPU state for crash reports: registers, mode, and the instructions around RIP decoded
 * in AT&T syntax (with symbol names once {@link #setSymbols} has been given a table).
 *
 * <p>Decoding backwards on x86 is ambiguous, so the instructions before RIP are shown only when they
 * are certain: decoded from the start of the symbol that contains RIP, or, without symbols, agreed on
 * by every decoding that starts up to 32 bytes earlier and lands exactly on RIP.
 */
public final class CpuDump {
    private static final String[] NAMES = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9",
            "r10", "r11", "r12", "r13", "r14", "r15"};
    private static final int BEFORE = 3;
    private static final int AFTER = 5;
    /** How far back to decode from the start of the containing symbol. */
    private static final int MAX_SYMBOL_OFFSET = 8192;
    private static final int HEURISTIC_WINDOW = 32;

    private static volatile SymbolTable symbols;

    private CpuDump() {
    }

    /** Names addresses in crash reports (and {@link #symbolize}) from now on; null turns it off. */
    public static void setSymbols(SymbolTable table) {
        symbols = table;
    }

    /** The table given to {@link #setSymbols}, or null. */
    public static SymbolTable symbols() {
        return symbols;
    }

    /** {@code name+0xoff} for an address if a symbol table is set and covers it, else null. */
    static String symbolize(long address) {
        SymbolTable t = symbols;
        return t == null ? null : t.nameOf(address);
    }

    static String describe(Cpu c, Decoder decoder, Throwable cause) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            sb.append(String.format("%-3s=%016x%s", NAMES[i], c.r[i], i % 4 == 3 ? "\n" : "  "));
        }
        sb.append(String.format("rip=%016x rflags=%08x cpl=%d mode=%d-bit%n", c.rip, c.rflags(), c.cpl, c.codeSize));
        sb.append(String.format("cr0=%08x cr2=%016x cr3=%016x cr4=%08x efer=%x%n", c.cr0, c.cr2, c.cr3, c.cr4, c.efer));
        for (int s = 0; s < 6; s++) {
            SegmentRegister r = c.seg[s];
            sb.append(String.format("%s=%04x base=%x limit=%x attr=%x%n", "ecsdfg".charAt(s) + "s", r.selector, r.base,
                    r.limit, r.attr));
        }
        sb.append("code at rip: ").append(codeBytes(c)).append('\n');
        sb.append(disassembly(c));
        if (cause != null && !(cause instanceof CpuException)) {
            StackTraceElement[] st = cause.getStackTrace();
            for (int i = 0; i < Math.min(st.length, 12); i++) {
                sb.append("  at ").append(st[i]).append('\n');
            }
        }
        return sb.toString();
    }

    /** Up to 16 bytes at RIP, read with supervisor rights and without disturbing the TLB. */
    static String codeBytes(Cpu c) {
        byte[] bytes = new byte[16];
        int n = readLinear(c, ripLinear(c), bytes, 0, bytes.length);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(HexFormat.of().toHexDigits(bytes[i])).append(' ');
        }
        if (n < bytes.length) {
            sb.append("(unreadable)");
        }
        return sb.toString().trim();
    }

    private static long ripLinear(Cpu c) {
        long linear = c.rip + (c.mode64() ? 0 : c.seg[Cpu.CS].base);
        return c.codeSize == 64 ? linear : linear & 0xffff_ffffL;
    }

    /**
     * Reads guest bytes at a linear address into {@code out[offset..]} as the CPU would (supervisor
     * read), without filling the TLB or changing CR2; returns how many were readable before the first
     * byte that is not.
     */
    static int readLinear(Cpu c, long linear, byte[] out, int offset, int length) {
        long savedCr2 = c.cr2;
        int n = 0;
        try {
            for (; n < length; n++) {
                long pa = c.mmu.translate(linear + n, Mmu.READ, false, false);
                out[offset + n] = (byte) c.mmu.physRead(pa, 1);
            }
        } catch (RuntimeException e) {
            // unmapped or outside RAM: stop here
        } finally {
            c.cr2 = savedCr2;
        }
        return n;
    }

    /** The instructions around RIP, the faulting one marked with "=>". */
    static String disassembly(Cpu c) {
        long rip = ripLinear(c);
        SymbolTable table = symbols;
        Disassembler dis = new Disassembler(CodeSize.ofBits(c.codeSize), table);
        List<DecodedInstruction> before = new ArrayList<>();
        long symbolStart = table == null ? -1 : table.lookup(rip).map(s -> s.address()).orElse(-1L);
        if (symbolStart != -1 && rip - symbolStart > 0 && rip - symbolStart <= MAX_SYMBOL_OFFSET) {
            before = fromKnownBoundary(c, dis, symbolStart, rip);
        }
        if (before.isEmpty()) {
            before = agreedPrefix(c, dis, rip);
        }
        byte[] ahead = new byte[15 * AFTER];
        int readable = readLinear(c, rip, ahead, 0, ahead.length);
        StringBuilder sb = new StringBuilder("code:\n");
        for (DecodedInstruction insn : before) {
            sb.append(line("   ", insn, c, table));
        }
        if (readable == 0) {
            return sb.append(String.format("=> %016x: (unreadable)%n", rip)).toString();
        }
        int at = 0;
        for (int i = 0; i < AFTER && at < readable; i++) {
            DecodedInstruction insn = dis.decode(ahead, at, readable - at, rip + at);
            sb.append(line(i == 0 ? "=> " : "   ", insn, c, table));
            at += insn.length();
        }
        return sb.toString();
    }

    private static String line(String marker, DecodedInstruction insn, Cpu c, AddressNamer namer) {
        byte[] bytes = new byte[insn.length()];
        readLinear(c, insn.address(), bytes, 0, bytes.length);
        String name = namer == null ? null : namer.nameOf(insn.address());
        return String.format("%s%016x%s: %-30s %s%n", marker, insn.address(), name == null ? "" : " <" + name + ">",
                HexFormat.ofDelimiter(" ").formatHex(bytes), insn.text());
    }

    /** Decodes from a known instruction boundary up to RIP; the last few if it lands exactly on RIP. */
    private static List<DecodedInstruction> fromKnownBoundary(Cpu c, Disassembler dis, long start, long rip) {
        int span = (int) (rip - start);
        byte[] code = new byte[span];
        if (readLinear(c, start, code, 0, span) < span) {
            return List.of();
        }
        List<DecodedInstruction> all = dis.decodeAll(code, 0, span, start);
        DecodedInstruction last = all.getLast();
        if (last.address() + last.length() != rip) {
            return List.of();
        }
        return all.subList(Math.max(0, all.size() - BEFORE), all.size());
    }

    /**
     * Without a known boundary: decode from every start up to {@value #HEURISTIC_WINDOW} bytes back;
     * keep the instructions (nearest RIP first) whose start every decoding that lands exactly on RIP
     * passes through.
     */
    private static List<DecodedInstruction> agreedPrefix(Cpu c, Disassembler dis, long rip) {
        byte[] code = new byte[HEURISTIC_WINDOW];
        long from = rip - HEURISTIC_WINDOW;
        int readable = readLinear(c, from, code, 0, HEURISTIC_WINDOW);
        if (readable < HEURISTIC_WINDOW) {
            return List.of(); // the bytes before RIP are not all readable: show nothing uncertain
        }
        List<List<DecodedInstruction>> landing = new ArrayList<>();
        for (int s = 0; s < HEURISTIC_WINDOW; s++) {
            List<DecodedInstruction> run = dis.decodeAll(code, s, HEURISTIC_WINDOW - s, from + s);
            DecodedInstruction last = run.getLast();
            if (last.address() + last.length() == rip && run.stream().noneMatch(DecodedInstruction::isBad)) {
                landing.add(run);
            }
        }
        if (landing.size() < 2) {
            return List.of();
        }
        List<DecodedInstruction> longest = landing.getFirst();
        List<DecodedInstruction> agreed = new ArrayList<>();
        for (int i = longest.size() - 1; i >= 0 && agreed.size() < BEFORE; i--) {
            DecodedInstruction insn = longest.get(i);
            int supporters = 0;
            boolean unanimous = true;
            for (List<DecodedInstruction> run : landing) {
                if (run.getFirst().address() > insn.address()) {
                    continue;
                }
                boolean passes = run.stream().anyMatch(x -> x.address() == insn.address());
                unanimous &= passes;
                supporters += passes ? 1 : 0;
            }
            if (!unanimous || supporters < 2) {
                break;
            }
            agreed.addFirst(insn);
        }
        return agreed;
    }
}
