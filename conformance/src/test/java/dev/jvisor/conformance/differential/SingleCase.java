package dev.jvisor.conformance.differential;

import dev.jvisor.conformance.Backend;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Reg;
import java.util.List;
import java.util.function.Consumer;

/**
 * One hand-written case with a fixed start state, run through the same CPL3 harness as the random
 * cases: the building block of the pinned tests. Registers start at zero (RSP in the data slot),
 * flags at 0x202, the data slot at {@link #SLOT} zero-filled unless set.
 */
public final class SingleCase {
    /** The data slot of a single case. */
    public static final long SLOT = BatchProgram.slotBase(0);

    private final String text;
    private final Consumer<Asm> code;
    private final long[] gprs = new long[16];
    private final byte[] slot = new byte[CaseBuilder.SLOT_SIZE];
    private final long[] xmm = new long[32];
    private long rflags = 0x202;
    private int mxcsr = 0x1f80;
    private boolean sse;
    private X87State x87;

    private SingleCase(String text, Consumer<Asm> code) {
        this.text = text;
        this.code = code;
        gprs[4] = SLOT + CaseBuilder.STACK_TOP;
    }

    public static SingleCase of(String text, Consumer<Asm> code) {
        return new SingleCase(text, code);
    }

    /** Sets a full 64-bit register. */
    public SingleCase reg(Reg r, long value) {
        if (r.bits() != 64) {
            throw new IllegalArgumentException("give the 64-bit register");
        }
        gprs[r.code()] = value;
        return this;
    }

    public SingleCase flags(long value) {
        rflags = value | 2;
        return this;
    }

    /** Writes {@code size} bytes of {@code value} at {@code SLOT + offset}. */
    public SingleCase memory(int offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            slot[offset + i] = (byte) (value >>> (8 * i));
        }
        return this;
    }

    /** Loads, saves and compares XMM0–15 and MXCSR (implied by {@link #xmm} and {@link #mxcsr}). */
    public SingleCase sse() {
        sse = true;
        return this;
    }

    /** Starts with this x87 state (loaded with FXRSTOR; XMM and MXCSR come along). */
    public SingleCase x87(X87State state) {
        x87 = state;
        return this;
    }

    public SingleCase xmm(int n, long low, long high) {
        sse = true;
        xmm[2 * n] = low;
        xmm[2 * n + 1] = high;
        return this;
    }

    public SingleCase mxcsr(int value) {
        sse = true;
        mxcsr = value;
        return this;
    }

    public TestCase toCase() {
        return new TestCase(0, 0, "pinned", text, List.of(text), code, new CpuState(gprs, rflags, xmm, mxcsr, x87), SLOT,
                slot.clone(), 0, 0, null, sse || x87 != null, 0);
    }

    /** Runs the case on {@code backend} (skipping the test if it is unusable here). */
    public CaseResult run(Backend backend) {
        BatchProgram program = new BatchProgram(List.of(toCase()));
        BatchRunner.Outcome o = BatchRunner.run(backend, program);
        if (o.problem() != null) {
            throw new AssertionError(o.problem());
        }
        return o.results().getFirst();
    }
}
