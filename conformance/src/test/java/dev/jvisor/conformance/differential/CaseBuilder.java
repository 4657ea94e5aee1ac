package dev.jvisor.conformance.differential;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Operand;
import dev.jvisor.testkit.Reg;
import dev.jvisor.testkit.SegReg;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * What a generator uses to describe one case: random operands and values, memory operands that
 * land inside the case's slot through any addressing form, the instruction steps, and what the SDM
 * leaves undefined. Registers given a required value ("pinned": address registers, counts) keep it;
 * every other register starts with a random value.
 *
 * <p>A generator that asks for an impossible combination (say AH in an instruction that needs REX)
 * gets an {@link IllegalArgumentException} from the assembler; the caller then starts the case over
 * with fresh random choices.
 */
public final class CaseBuilder {
    /** Slot layout: memory operands land in [MEM_LOW, MEM_HIGH); the stack starts at STACK_TOP. */
    public static final int SLOT_SIZE = 0x1000, MEM_LOW = 0x100, MEM_HIGH = 0xf00, STACK_TOP = 0x800;
    /** The memory base register of sequences (R15). */
    private static final int SEQUENCE_BASE = 15;

    private final Random rnd;
    private final long slotBase;
    private final long[] gpr = new long[16];
    private final boolean[] pinned = new boolean[16];
    private final byte[] slot = new byte[SLOT_SIZE];
    private final long[] xmm = new long[32];
    private int mxcsr = 0x1f80;
    private long rflags;
    private final List<String> text = new ArrayList<>();
    private final List<Consumer<Asm>> steps = new ArrayList<>();
    private String form = "";
    private long undefinedFlags;
    private long poisonedFlags;
    private int undefinedGprs;
    private boolean[] undefinedBytes;
    private boolean stack;
    private boolean sse;
    private boolean sequence;
    private X87State x87;
    private int undefinedFsw;

    public CaseBuilder(Random rnd, long slotBase) {
        this.rnd = rnd;
        this.slotBase = slotBase;
        for (int i = 0; i < 16; i++) {
            gpr[i] = value(64);
        }
        gpr[4] = slotBase + STACK_TOP - 8L * rnd.nextInt(16);
        for (int i = 0; i < SLOT_SIZE; i++) {
            slot[i] = (byte) (rnd.nextInt(8) == 0 ? 0 : rnd.nextInt(8) == 0 ? 0xff : rnd.nextInt());
        }
        for (int i = 0; i < 32; i++) {
            xmm[i] = rnd.nextLong();
        }
        rflags = 2 | (rnd.nextLong() & Flags.STATUS);
        if (rnd.nextInt(8) == 0) {
            rflags |= Flags.DF;
        }
    }

    public Random random() {
        return rnd;
    }

    // ---- values ------------------------------------------------------------------------------

    /** An "interesting" value of {@code bits} bits (sign-extended to 64): edges, small, single bits or random. */
    public long value(int bits) {
        long v = switch (rnd.nextInt(10)) {
            case 0 -> rnd.nextInt(17);
            case 1 -> -1 - rnd.nextInt(16);
            case 2 -> switch (rnd.nextInt(4)) {
                case 0 -> 1L << (bits - 1);              // minimum signed
                case 1 -> (1L << (bits - 1)) - 1;        // maximum signed
                case 2 -> (1L << (bits - 1)) + rnd.nextInt(3) - 1;
                default -> 0;
            };
            case 3 -> 1L << rnd.nextInt(bits);
            case 4 -> ~(1L << rnd.nextInt(bits));
            default -> rnd.nextLong();
        };
        return signExtend(v, bits);
    }

    public static long signExtend(long v, int bits) {
        return bits == 64 ? v : v << (64 - bits) >> (64 - bits);
    }

    public static long zeroExtend(long v, int bits) {
        return bits == 64 ? v : v & ((1L << bits) - 1);
    }

    /** A random boolean that is true with probability 1/n. */
    public boolean oneIn(int n) {
        return rnd.nextInt(n) == 0;
    }

    @SafeVarargs
    public final <T> T pick(T... choices) {
        return choices[rnd.nextInt(choices.length)];
    }

    public int pickInt(int... choices) {
        return choices[rnd.nextInt(choices.length)];
    }

    // ---- registers ---------------------------------------------------------------------------

    /** A random register of {@code bits} (bytes include AH..BH and SPL..R15B); RSP only if the stack is unused. */
    public Reg reg(int bits) {
        while (true) {
            Reg r;
            if (bits == 8) {
                int n = rnd.nextInt(20);
                r = n < 16 ? Reg.gpr(n, 8) : new Reg[]{Reg.AH, Reg.CH, Reg.DH, Reg.BH}[n - 16];
            } else {
                r = Reg.gpr(rnd.nextInt(16), bits);
            }
            boolean isRsp = r.code() == 4 && !r.isHighByte();
            if (!(stack && isRsp) && !(sequence && r.code() == SEQUENCE_BASE)) {
                return r;
            }
        }
    }

    /** A random register of {@code bits} whose full register is not pinned (so its value can be set). */
    public Reg freeReg(int bits) {
        for (int tries = 0; tries < 100; tries++) {
            Reg r = reg(bits);
            if (!pinned[full(r)]) {
                return r;
            }
        }
        throw new IllegalArgumentException("no free register");
    }

    /** The GPR number (0–15) holding {@code r}: AH..BH live in RAX..RBX. */
    public static int full(Reg r) {
        return r.isHighByte() ? r.code() - 4 : r.code();
    }

    public boolean isPinned(Reg r) {
        return pinned[full(r)];
    }

    /** The current value of {@code r} (zero-extended from its width). */
    public long get(Reg r) {
        long v = gpr[full(r)];
        return zeroExtend(r.isHighByte() ? v >>> 8 : v, r.bits());
    }

    /** Sets the {@code r.bits()} bits of {@code r} to {@code value}, keeping the rest of the register. */
    public void set(Reg r, long value) {
        int n = full(r);
        if (r.isHighByte()) {
            gpr[n] = gpr[n] & ~0xff00L | (value & 0xff) << 8;
        } else if (r.bits() == 64) {
            gpr[n] = value;
        } else {
            long mask = (1L << r.bits()) - 1;
            gpr[n] = gpr[n] & ~mask | value & mask;
        }
    }

    /** Sets {@code r} and pins it; fails (so the case is regenerated) if it is already pinned. */
    public void pin(Reg r, long value) {
        if (pinned[full(r)]) {
            throw new IllegalArgumentException(r + " is already pinned");
        }
        set(r, value);
        pinned[full(r)] = true;
    }

    /** Gives a register operand an interesting value of its width. */
    public void randomize(Reg r) {
        if (!pinned[full(r)]) {
            set(r, value(r.bits()));
        }
    }

    /** The case uses the stack: RSP points into the slot and is never picked as an operand. */
    public void useStack() {
        stack = true;
        pinned[4] = true;
    }

    public long rsp() {
        return gpr[4];
    }

    public long rflags() {
        return rflags;
    }

    public void rflags(long value) {
        rflags = value | 2;
    }

    public boolean flag(long bit) {
        return (rflags & bit) != 0;
    }

    public void flag(long bit, boolean on) {
        rflags = on ? rflags | bit : rflags & ~bit;
    }

    // ---- memory ------------------------------------------------------------------------------

    public long slotBase() {
        return slotBase;
    }

    /** A random address in the slot's operand window for an access of {@code size} bytes, usually aligned. */
    public long target(int size) {
        int offset = MEM_LOW + rnd.nextInt(MEM_HIGH - MEM_LOW - 16);
        if (!oneIn(4)) {
            offset &= -size;
        }
        return slotBase + offset;
    }

    /** Reads {@code size} bytes of the slot at guest address {@code address}, little-endian. */
    public long read(long address, int size) {
        int off = slotOffset(address, size);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (slot[off + i] & 0xff);
        }
        return v;
    }

    /** Writes the slot's initial content. */
    public void write(long address, int size, long value) {
        int off = slotOffset(address, size);
        for (int i = 0; i < size; i++) {
            slot[off + i] = (byte) (value >>> (8 * i));
        }
    }

    private int slotOffset(long address, int size) {
        long off = address - slotBase;
        if (off < 0 || off + size > SLOT_SIZE) {
            throw new IllegalStateException(String.format("address 0x%x is outside the slot at 0x%x", address, slotBase));
        }
        return (int) off;
    }

    /** A memory operand (no size) addressing a random target; base and index registers get pinned. */
    public Mem mem(int size) {
        return memAt(target(size));
    }

    /**
     * A memory operand that addresses {@code address} through a random form: [base], [base+disp8],
     * [base+disp32], [base+index*scale+disp], [index*scale+disp32], or the same with 32-bit address
     * registers (0x67 prefix), whose upper halves then hold garbage the CPU must ignore.
     */
    public Mem memAt(long address) {
        if (sequence) {
            return Mem.at(Reg.gpr(SEQUENCE_BASE, 64), address - (slotBase + STACK_TOP));
        }
        // Sometimes through FS or GS, whose bases count, or an override of a segment whose base is ignored.
        int segment = rnd.nextInt(16);
        if (segment < 2) {
            SegReg s = segment == 0 ? SegReg.FS : SegReg.GS;
            return effectiveAddress(address - (s == SegReg.FS ? BatchProgram.FS_BASE : BatchProgram.GS_BASE)).seg(s);
        }
        if (segment == 2) {
            return effectiveAddress(address).seg(pick(SegReg.CS, SegReg.DS, SegReg.ES, SegReg.SS));
        }
        return effectiveAddress(address);
    }

    /** A memory operand without segment override whose effective address is {@code address}. */
    private Mem effectiveAddress(long address) {
        boolean addr32 = oneIn(6);
        int form = rnd.nextInt(6);
        int bits = addr32 ? 32 : 64;
        Reg base = form == 4 ? null : addressReg(bits, false);
        Reg index = form >= 3 ? addressReg(bits, true) : null;
        if (base != null && index != null && full(base) == full(index)) {
            throw new IllegalArgumentException("base and index coincide");
        }
        int scale = index == null ? 1 : pickInt(1, 2, 4, 8);
        long disp = switch (form) {
            case 0 -> 0;
            case 1 -> rnd.nextInt(256) - 128;
            case 5 -> rnd.nextInt(1 << 16) - (1 << 15);
            default -> oneIn(2) ? rnd.nextInt(256) - 128 : rnd.nextInt();
        };
        long indexValue = index == null ? 0 : addr32 ? rnd.nextInt() : oneIn(2) ? rnd.nextInt(64) - 32 : rnd.nextLong();
        if (index != null) {
            pin(index, addr32 ? indexValue & 0xffff_ffffL | rnd.nextLong() << 32 : indexValue);
        }
        if (base == null) {
            // [index*scale + disp32]: choose the index so that the sum lands on the address.
            if (index == null) {
                throw new IllegalStateException();
            }
            long want = address - disp;
            if (want % scale != 0) {
                disp += want % scale;
                want -= want % scale;
            }
            long idx = want / scale;
            if (addr32) {
                idx = idx & 0xffff_ffffL | rnd.nextLong() << 32;
            }
            pinned[full(index)] = false;
            pin(index, idx);
            return Mem.at(null, index, scale, disp);
        }
        long baseValue = address - indexValue * scale - disp;
        if (addr32) {
            baseValue = baseValue & 0xffff_ffffL | rnd.nextLong() << 32;
        }
        pin(base, baseValue);
        return index == null ? (disp == 0 ? Mem.at(base) : Mem.at(base, disp)) : Mem.at(base, index, scale, disp);
    }

    private Reg addressReg(int bits, boolean index) {
        for (int tries = 0; tries < 100; tries++) {
            int n = rnd.nextInt(16);
            if (pinned[n] || index && n == 4 || stack && n == 4) {
                continue;
            }
            return Reg.gpr(n, bits);
        }
        throw new IllegalArgumentException("no free address register");
    }

    // ---- SSE state ---------------------------------------------------------------------------

    /**
     * Several instructions in a row: memory operands all go through R15 (pinned to the slot's
     * middle and never an operand), and RSP stays the stack, so no instruction of the sequence
     * can move a later one's memory operand out of the slot.
     */
    public void sequenceMode() {
        sequence = true;
        useStack();
        pin(Reg.gpr(SEQUENCE_BASE, 64), slotBase + STACK_TOP);
    }

    public boolean inSequence() {
        return sequence;
    }

    /** Loads, saves and compares XMM0–15 and MXCSR for this case. */
    public void useSse() {
        sse = true;
    }

    public void xmm(int n, long low, long high) {
        xmm[2 * n] = low;
        xmm[2 * n + 1] = high;
    }

    public long xmmLow(int n) {
        return xmm[2 * n];
    }

    public long xmmHigh(int n) {
        return xmm[2 * n + 1];
    }

    public void mxcsr(int value) {
        mxcsr = value;
    }

    public int mxcsrValue() {
        return mxcsr;
    }

    /** Loads, saves and compares the x87 state (and with it XMM0–15 and MXCSR), starting from {@code state}. */
    public void x87(X87State state) {
        x87 = state;
    }

    /** Marks x87 status-word bits as not compared. */
    public void undefinedFsw(int bits) {
        undefinedFsw |= bits;
    }

    // ---- steps and what is undefined ---------------------------------------------------------

    /** The instruction form, for grouping failures ("adc r/m16, imm8"). */
    public void form(String f) {
        form = f;
    }

    /**
     * Adds one instruction (or a few bytes of them). {@code reads} are the flags it consumes, {@code
     * writes} those it defines and {@code undefined} those the SDM leaves undefined. A step that reads
     * a flag an earlier step left undefined is refused (the case is regenerated).
     */
    public void step(String instruction, long reads, long writes, long undefined, Consumer<Asm> emit) {
        if ((reads & poisonedFlags) != 0) {
            throw new IllegalArgumentException(instruction + " reads undefined flags " + Flags.names(reads & poisonedFlags));
        }
        // A throwaway assembler rejects operand combinations that cannot be encoded (and a
        // rejected step leaves no pending prefix behind for the next one).
        emit.accept(new Asm(64, BatchProgram.CODE));
        poisonedFlags = poisonedFlags & ~writes | undefined;
        text.add(instruction);
        steps.add(emit);
    }

    /** A step that neither reads nor changes flags. */
    public void step(String instruction, Consumer<Asm> emit) {
        step(instruction, 0, 0, 0, emit);
    }

    /** Marks flags undefined outright (e.g. flags that depend on runtime counts). */
    public void undefinedFlags(long bits) {
        undefinedFlags |= bits;
    }

    /** Whether any flag in {@code bits} is currently undefined. */
    public boolean flagsUndefined(long bits) {
        return ((undefinedFlags | poisonedFlags) & bits) != 0;
    }

    public void undefinedGpr(Reg r) {
        undefinedGprs |= 1 << full(r);
    }

    /** Marks {@code size} bytes at {@code address} as not compared. */
    public void undefinedMemory(long address, int size) {
        if (undefinedBytes == null) {
            undefinedBytes = new boolean[SLOT_SIZE];
        }
        int off = slotOffset(address, size);
        for (int i = 0; i < size; i++) {
            undefinedBytes[off + i] = true;
        }
    }

    public boolean hasSteps() {
        return !steps.isEmpty();
    }

    /** The finished case. */
    public TestCase build(int index, int number, String category) {
        if (steps.isEmpty()) {
            throw new IllegalStateException("a case needs at least one instruction");
        }
        List<Consumer<Asm>> emitters = List.copyOf(steps);
        Consumer<Asm> all = a -> emitters.forEach(e -> e.accept(a));
        CpuState initial = new CpuState(gpr, rflags, xmm, mxcsr, x87);
        return new TestCase(index, number, category, form.isEmpty() ? text.getFirst() : form, text, all, initial, slotBase,
                slot.clone(), undefinedFlags | poisonedFlags, undefinedGprs, undefinedBytes, sse || x87 != null, undefinedFsw);
    }

    // ---- text --------------------------------------------------------------------------------

    /** Operand text: register names in lower case, memory in Intel syntax. */
    public static String t(Operand o) {
        return o instanceof Reg r ? r.name().toLowerCase() : o.toString();
    }

    public static String hex(long v) {
        return v < 0 ? String.format("-0x%x", -v) : String.format("0x%x", v);
    }

    /** "r/m16", "r8", "m64" and such, for form names. */
    public static String kind(Operand o, int bits) {
        return (o instanceof Reg ? "r" : "m") + bits;
    }
}
