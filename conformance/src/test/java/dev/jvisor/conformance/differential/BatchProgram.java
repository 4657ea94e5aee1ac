package dev.jvisor.conformance.differential;

import static dev.jvisor.testkit.Reg.*;

import dev.jvisor.conformance.TestMachine;
import dev.jvisor.hypervisor.Segment;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Reg;
import dev.jvisor.testkit.TinyGuest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * The guest that runs a batch of {@link TestCase}s at CPL3 in one go, the same on both back ends.
 * For each case it loads the initial registers (POP for the GPRs, POPFQ for the flags, MOVDQU and
 * LDMXCSR for SSE cases), runs the case's instructions, and stores every register back (PUSHFQ
 * first, so the harness's own instructions cannot disturb the flags). Exceptions go through
 * CPL0 handlers that record vector, error code, faulting RIP and CR2, then IRETQ to the case's
 * store code with the faulting state intact. After the last case the guest writes the exit port.
 *
 * <p>Memory layout (RAM from 0; the tiny guest's tables sit below 0x80000):
 * <pre>
 *   0x8f000  globals: resume address, fault vector/error/RIP/CR2
 *   0x90000  exception handlers (CPL0)      0x100000 case code
 *   0x400000 initial states (1 KiB each)    0x500000 results (1 KiB each)
 *   0x600000 data slots: 4 KiB of data, then a 4 KiB guard page that is not present
 *   0x8b000  the 4 KiB page tables that map the slots and their guards ({@link #prepare})
 * </pre>
 */
public final class BatchProgram {
    static final long GLOBALS = 0x8f000, HANDLERS = 0x90000, CODE = 0x100000, STATES = 0x400000, RESULTS = 0x500000,
            SLOTS = 0x600000, PAGE_TABLES = 0x8b000;
    /** Distance between slots: the data page and its guard page. */
    public static final long SLOT_STRIDE = 0x2000;
    /**
     * Segment bases the cases run with. In 64-bit mode only FS and GS bases take part in address
     * calculation (SDM Vol. 3A §3.4.4); the others are set to values that would break any access
     * that used them. The GS base wraps: gs:[x] is x - 0x1000.
     */
    public static final long FS_BASE = 0x40, GS_BASE = 0xffff_ffff_ffff_f000L, IGNORED_BASE = 0x1234_5000;
    /** Page-table entry bits: present, writable, user (SDM Vol. 3A §4.5). */
    private static final long PTE_PRESENT_USER = 0x7;
    static final long RESUME = GLOBALS, FAULT_VECTOR = GLOBALS + 8, FAULT_ERROR = GLOBALS + 16, FAULT_RIP = GLOBALS + 24,
            FAULT_CR2 = GLOBALS + 32;
    /** Bytes per state and per result block (1 KiB aligned, as FXSAVE/FXRSTOR need 16). */
    static final int BLOCK = 1024;
    /**
     * Quadword indexes in a block after the 16 GPRs; XMM registers start at byte 256, the FXSAVE
     * image of x87 cases at byte 512.
     */
    static final int Q_RFLAGS = 16, Q_MXCSR = 17, Q_VECTOR = 18, Q_ERROR = 19, Q_RIP = 20, Q_CR2 = 21, XMM_OFFSET = 256,
            FX_OFFSET = 512;
    public static final int MAX_CASES = 1024;
    /** Exceptions that push an error code (SDM Vol. 3A Table 6-1). */
    private static final long ERROR_CODE_VECTORS = 1L << 8 | 1L << 10 | 1L << 11 | 1L << 12 | 1L << 13 | 1L << 14
            | 1L << 17 | 1L << 21 | 1L << 29 | 1L << 30;
    /** GPRs in the order the harness pops them (encoding order, RSP skipped). */
    private static final Reg[] POP_ORDER = {RAX, RCX, RDX, RBX, null, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15};

    private final List<TestCase> cases;
    private final long[] caseStart;
    private final long[] snippetStart;
    private final byte[][] snippets;
    private final long codeEnd;
    private final TinyGuest guest;

    public BatchProgram(List<TestCase> cases) {
        if (cases.isEmpty() || cases.size() > MAX_CASES) {
            throw new IllegalArgumentException("a batch holds 1.." + MAX_CASES + " cases, not " + cases.size());
        }
        this.cases = List.copyOf(cases);
        int n = cases.size();
        caseStart = new long[n + 1];
        snippetStart = new long[n + 1];
        long[] snippetEnd = new long[n];
        Asm a = new Asm(64, CODE);
        for (int i = 0; i < n; i++) {
            TestCase c = cases.get(i);
            if (c.index() != i || c.slotBase() != slotBase(i)) {
                throw new IllegalArgumentException("case " + i + " is not laid out for this position");
            }
            caseStart[i] = a.address();
            Label save = a.newLabel("save" + i);
            long state = STATES + (long) i * BLOCK;
            long result = RESULTS + (long) i * BLOCK;
            a.mov(Mem.abs(RESUME).qwordPtr(), 0);     // patched with the address of "save" below
            load(a, c, state, save);
            snippetStart[i] = a.address();
            c.emitter().accept(a);
            snippetEnd[i] = a.address();
            a.bind(save);
            store(a, c, result);
        }
        caseStart[n] = a.address();
        snippetStart[n] = a.address();
        a.mov(AL, 0).out(TestMachine.EXIT_PORT, AL);
        Label hang = a.here();
        a.jmp(hang);
        byte[] code = a.assemble();
        codeEnd = a.address();
        if (codeEnd > STATES) {
            throw new IllegalStateException("batch code overflows into the state area");
        }
        snippets = new byte[n][];
        for (int i = 0; i < n; i++) {
            snippets[i] = Arrays.copyOfRange(code, (int) (snippetStart[i] - CODE), (int) (snippetEnd[i] - CODE));
        }
        patchResumeAddresses(code);
        // IF set: the software-nested KVM runs CPL3 code with IF set whatever the start state says.
        guest = TinyGuest.longMode().userMode().interruptsEnabled().allowUserPorts(TestMachine.EXIT_PORT, 1).load(CODE, code).entry(CODE);
        Asm handlers = handlers(guest);
        guest.load(handlers.origin(), handlers.assemble());
        guest.load(GLOBALS, globals());
        guest.load(STATES, states());
        guest.load(SLOTS, slots());
    }

    /** The guest address of the data slot of the case at {@code index}. */
    public static long slotBase(int index) {
        return SLOTS + index * SLOT_STRIDE;
    }

    private static Segment withBase(Segment x, long base) {
        return new Segment(x.selector(), base, x.limit(), x.type(), x.present(), x.dpl(), x.db(), x.s(), x.l(), x.g(), x.avl(),
                x.unusable());
    }

    /** RAM the batch needs. */
    public long ramBytes() {
        long end = slotBase(cases.size());
        return (end + 0x1f_ffff) & ~0x1f_ffffL;
    }

    public TinyGuest guest() {
        return guest;
    }

    /**
     * Remaps the slot area with 4 KiB pages so that the page after each slot is not present: an
     * access running off the end of a slot faults there (page-crossing accesses, string
     * instructions interrupted by #PF); and gives the segment registers the bases of {@link
     * #FS_BASE} and friends. Call after the guest is built and loaded into {@code vcpu}, before it runs.
     */
    public void prepare(GuestMemory memory, Vcpu vcpu) {
        SystemRegisters s = vcpu.getSystemRegisters();
        vcpu.setSystemRegisters(new SystemRegisters(s.cs(), withBase(s.ds(), IGNORED_BASE), withBase(s.es(), 2 * IGNORED_BASE),
                withBase(s.fs(), FS_BASE), withBase(s.gs(), GS_BASE), withBase(s.ss(), 3 * IGNORED_BASE), s.tr(), s.ldt(), s.gdt(),
                s.idt(), s.cr0(), s.cr2(), s.cr3(), s.cr4(), s.cr8(), s.efer(), s.apicBase()));
        long end = slotBase(cases.size());
        int chunk = 0;
        for (long base = SLOTS; base < end; base += 0x20_0000, chunk++) {
            long table = PAGE_TABLES + chunk * 0x1000L;
            if (table >= GLOBALS) {
                throw new IllegalStateException("too many slot page tables");
            }
            for (int e = 0; e < 512; e++) {
                long page = base + e * 0x1000L;
                boolean guard = ((page - SLOTS) / 0x1000) % 2 == 1;
                memory.writeU64(table + e * 8L, guard ? 0 : page | PTE_PRESENT_USER);
            }
            memory.writeU64(TinyGuest.PAGE_DIRECTORIES + (base >>> 21) * 8, table | PTE_PRESENT_USER);
        }
    }

    public List<TestCase> cases() {
        return cases;
    }

    /** The bytes of case {@code i}'s instructions as placed in the batch. */
    public byte[] snippet(int i) {
        return snippets[i].clone();
    }

    /** Where case {@code i}'s instructions start. */
    public long snippetAddress(int i) {
        return snippetStart[i];
    }

    /** The case whose code (harness included) contains {@code rip}, or -1. */
    public int caseAt(long rip) {
        for (int i = 0; i < cases.size(); i++) {
            if (rip >= caseStart[i] && rip < caseStart[i + 1]) {
                return i;
            }
        }
        return -1;
    }

    private static void load(Asm a, TestCase c, long state, Label save) {
        if (c.x87()) {
            a.modrmInstruction(0, true, new int[]{0x0f, 0xae}, 1, Mem.abs(state + FX_OFFSET), 0, 0);    // FXRSTOR64
        } else if (c.sse()) {
            for (int x = 0; x < 16; x++) {
                movdqu(a, true, x, Mem.abs(state + XMM_OFFSET + 16L * x));
            }
            a.modrmInstruction(0, false, new int[]{0x0f, 0xae}, 2, Mem.abs(state + 8L * Q_MXCSR), 0, 0);   // LDMXCSR
        }
        a.mov(RSP, state);
        for (Reg r : POP_ORDER) {
            if (r == null) {
                a.lea(RSP, Mem.at(RSP, 8));
            } else {
                a.pop(r);
            }
        }
        a.popf();
        a.mov(RSP, Mem.abs(state + 8L * 4));
    }

    private static void store(Asm a, TestCase c, long result) {
        a.mov(Mem.abs(result + 8L * 4), RSP);
        a.mov(RSP, result + 8L * (Q_RFLAGS + 1));
        a.pushf();
        for (int i = POP_ORDER.length - 1; i >= 0; i--) {
            Reg r = POP_ORDER[i];
            if (r == null) {
                a.lea(RSP, Mem.at(RSP, -8));
            } else {
                a.push(r);
            }
        }
        if (c.x87()) {
            a.modrmInstruction(0, true, new int[]{0x0f, 0xae}, 0, Mem.abs(result + FX_OFFSET), 0, 0);    // FXSAVE64
        } else if (c.sse()) {
            for (int x = 0; x < 16; x++) {
                movdqu(a, false, x, Mem.abs(result + XMM_OFFSET + 16L * x));
            }
            a.modrmInstruction(0, false, new int[]{0x0f, 0xae}, 3, Mem.abs(result + 8L * Q_MXCSR), 0, 0);  // STMXCSR
        }
        long[] cells = {FAULT_VECTOR, FAULT_ERROR, FAULT_RIP, FAULT_CR2};
        int[] slots = {Q_VECTOR, Q_ERROR, Q_RIP, Q_CR2};
        for (int k = 0; k < cells.length; k++) {
            a.mov(RAX, Mem.abs(cells[k])).mov(Mem.abs(result + 8L * slots[k]), RAX);
        }
        a.mov(Mem.abs(FAULT_VECTOR).qwordPtr(), -1);
    }

    /** MOVDQU xmm, m128 (F3 0F 6F) or m128, xmm (F3 0F 7F). */
    private static void movdqu(Asm a, boolean load, int xmm, Mem m) {
        a.modrmInstruction(0xf3, false, new int[]{0x0f, load ? 0x6f : 0x7f}, xmm, m, 0, 0);
    }

    /**
     * The first instruction of each case is {@code mov qword [RESUME], 0}; its immediate (the last
     * four bytes) becomes the address of the case's store code, where a fault handler resumes.
     */
    private void patchResumeAddresses(byte[] code) {
        for (int i = 0; i < cases.size(); i++) {
            int immediate = (int) (caseStart[i] - CODE) + 8;
            long resume = snippetStart[i] + snippets[i].length;
            ByteBuffer.wrap(code, immediate, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) resume);
        }
    }

    /**
     * One stub per exception vector 0–31: push a dummy error code where the CPU pushes none, note
     * the vector, then the common tail records error code, RIP and CR2 and returns to the case's
     * store code at CPL3. No GPR or flag of the interrupted code is changed (RAX is saved around
     * the CR2 read), so the stored state is the state at the fault.
     */
    private static Asm handlers(TinyGuest guest) {
        Asm h = new Asm(64, HANDLERS);
        Label common = h.newLabel("common");
        for (int v = 0; v < 32; v++) {
            long stub = h.address();
            if ((ERROR_CODE_VECTORS >>> v & 1) == 0) {
                h.push(-1);
            }
            h.mov(Mem.abs(FAULT_VECTOR).qwordPtr(), v).jmp(common);
            // INT3 from CPL3 needs a gate with DPL 3 (SDM Vol. 3A §6.12.1.1).
            guest.interruptGate(v, stub, v == 3 ? 3 : 0);
        }
        h.bind(common);
        h.pop(Mem.abs(FAULT_ERROR).qwordPtr());
        h.pop(Mem.abs(FAULT_RIP).qwordPtr());
        h.push(Mem.abs(RESUME).qwordPtr());
        h.push(RAX).mov(RAX, dev.jvisor.testkit.CtrlReg.CR2).mov(Mem.abs(FAULT_CR2), RAX).pop(RAX);
        h.iretq();
        return h;
    }

    private static byte[] globals() {
        ByteBuffer g = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        g.putLong(0, 0).putLong(8, -1).putLong(16, 0).putLong(24, 0).putLong(32, 0);
        return g.array();
    }

    private byte[] states() {
        ByteBuffer s = ByteBuffer.allocate(cases.size() * BLOCK).order(ByteOrder.LITTLE_ENDIAN);
        for (TestCase c : cases) {
            int at = c.index() * BLOCK;
            CpuState st = c.initial();
            for (int r = 0; r < 16; r++) {
                s.putLong(at + 8 * r, st.gpr(r));
            }
            s.putLong(at + 8 * Q_RFLAGS, st.rflags());
            s.putLong(at + 8 * Q_MXCSR, st.mxcsr() & 0xffff_ffffL);
            for (int x = 0; x < 32; x++) {
                s.putLong(at + XMM_OFFSET + 8 * x, st.xmm()[x]);
            }
            if (st.x87() != null) {
                s.put(at + FX_OFFSET, st.x87().image(st.xmm(), st.mxcsr()));
            }
        }
        return s.array();
    }

    private byte[] slots() {
        byte[] all = new byte[(int) (cases.size() * SLOT_STRIDE)];
        for (TestCase c : cases) {
            System.arraycopy(c.slot(), 0, all, (int) (c.index() * SLOT_STRIDE), CaseBuilder.SLOT_SIZE);
        }
        return all;
    }
}
