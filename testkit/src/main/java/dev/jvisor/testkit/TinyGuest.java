package dev.jvisor.testkit;

import dev.jvisor.hypervisor.DescriptorTable;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.Segment;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.memory.GuestMemory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Lays out a test guest in {@link GuestMemory} and says how its vCPU starts: in real mode, 32-bit
 * protected mode (flat segments) or 64-bit long mode (identity paging of the first 4 GiB with 2 MiB
 * pages), optionally at CPL3, with an IDT, a TSS with an I/O permission bitmap and SYSCALL set up.
 * The guest starts directly in that mode, as a boot loader would leave it. Works for any back end.
 *
 * <p>Fixed layout (every mode writes all structures, so a real-mode guest can switch modes itself
 * with {@code lgdt [GDTR_POINTER]} and the same selectors):
 * <pre>
 *   0x00000  real-mode IVT (256 vectors)           0x00500–0x00fff  real-mode stack (SP = 0x1000)
 *   0x01000  real-mode code (default entry)         0x10000  protected/long-mode code (default)
 *   0x70000  PML4, 0x71000 PDPT, 0x72000 four PDs   0x76000  IDT
 *   0x77000  GDT; pseudo-descriptors for LGDT/LIDT at 0x77f00 / 0x77f10
 *   0x78000  TSS + I/O bitmap                        0x80000  kernel stack top (0x60000 user)
 * </pre>
 * RAM must cover {@code [0, 0x80000)}. Not thread-safe; one builder per guest.
 */
public final class TinyGuest {
    /** Guest modes. */
    public enum Mode { REAL, PROTECTED, LONG }

    public static final long REAL_CODE = 0x1000, CODE = 0x10000;
    public static final long PML4 = 0x70000, PDPT = 0x71000, PAGE_DIRECTORIES = 0x72000, IDT = 0x76000;
    public static final long GDT = 0x77000, GDTR_POINTER = 0x77f00, IDTR_POINTER = 0x77f10, TSS = 0x78000;
    public static final long REAL_STACK_TOP = 0x1000, USER_STACK_TOP = 0x60000, KERNEL_STACK_TOP = 0x80000;
    /** First byte past the structures this class writes. */
    public static final long LAYOUT_END = 0x80000;
    private static final long TABLES_START = PML4, TABLES_END = TSS + 0x3000;

    /** GDT selectors (RPL included for the user ones). SYSCALL/SYSRET expect this order (SDM Vol. 2B SYSRET). */
    public static final int KERNEL_CS32 = 0x08, KERNEL_CS64 = 0x10, KERNEL_DS = 0x18, USER_CS32 = 0x23,
            USER_DS = 0x2b, USER_CS64 = 0x33, TSS_SELECTOR = 0x38, CODE16 = 0x48, DATA16 = 0x50;
    private static final int GDT_LIMIT = 0x57;

    /** TSS: 104-byte header, I/O map base at 0x66, an 8 KiB bitmap and the required 0xFF byte (SDM Vol. 1 §19.5.2). */
    private static final int TSS_IO_MAP = 0x68, TSS_LIMIT = TSS_IO_MAP + 8192;

    public static final long APIC_BASE_BSP = 1L << 8;
    private static final long APIC_BASE = 0xfee0_0000L | 1L << 11 | APIC_BASE_BSP;
    private static final long RFLAGS_IF = 1L << 9;
    /** MSR numbers (SDM Vol. 4 Table 2-2). */
    public static final int MSR_STAR = 0xc000_0081, MSR_LSTAR = 0xc000_0082, MSR_FMASK = 0xc000_0084;

    private record Blob(long address, byte[] bytes) {
    }

    private record Gate(long handler, int dpl) {
    }

    private final Mode mode;
    private final List<Blob> blobs = new ArrayList<>();
    private final Map<Integer, Gate> gates = new TreeMap<>();
    private final List<int[]> userPorts = new ArrayList<>();
    private Long entry;
    private boolean user;
    private boolean interruptsEnabled;
    private Long syscallHandler;

    private TinyGuest(Mode mode) {
        this.mode = mode;
    }

    /** A guest starting in real mode at 0000:entry (default {@link #REAL_CODE}). */
    public static TinyGuest realMode() {
        return new TinyGuest(Mode.REAL);
    }

    /** A guest starting in flat 32-bit protected mode, paging off. */
    public static TinyGuest protectedMode() {
        return new TinyGuest(Mode.PROTECTED);
    }

    /** A guest starting in 64-bit long mode with the first 4 GiB identity-mapped. */
    public static TinyGuest longMode() {
        return new TinyGuest(Mode.LONG);
    }

    public Mode mode() {
        return mode;
    }

    /** Copies {@code bytes} to guest physical {@code address} when built. */
    public TinyGuest load(long address, byte[] bytes) {
        long end = address + bytes.length;
        if (address < TABLES_END && end > TABLES_START) {
            throw new IllegalArgumentException(String.format(
                    "code at [0x%x, 0x%x) overlaps the tiny guest's tables at [0x%x, 0x%x)", address, end, TABLES_START, TABLES_END));
        }
        blobs.add(new Blob(address, bytes.clone()));
        return this;
    }

    /** Loads an assembled program at its origin. */
    public TinyGuest load(Asm program) {
        return load(program.origin(), program.assemble());
    }

    /** Where execution starts (linear address); defaults to the first loaded program. */
    public TinyGuest entry(long address) {
        this.entry = address;
        return this;
    }

    /**
     * Installs an interrupt gate (IF cleared on entry) for {@code vector}; in real mode an IVT
     * entry. With no gate at all, protected and long mode start with an empty IDT (limit 0), so
     * any exception shuts the CPU down.
     */
    public TinyGuest interruptGate(int vector, long handler) {
        return interruptGate(vector, handler, 0);
    }

    /** An interrupt gate that code at privilege {@code dpl} or better may invoke with INT n. */
    public TinyGuest interruptGate(int vector, long handler, int dpl) {
        if (vector < 0 || vector > 255 || dpl < 0 || dpl > 3) {
            throw new IllegalArgumentException("vector must be 0..255 and dpl 0..3: " + vector + ", " + dpl);
        }
        gates.put(vector, new Gate(handler, dpl));
        return this;
    }

    /** Starts the guest at CPL3 (protected or long mode), with the kernel stack in the TSS. */
    public TinyGuest userMode() {
        if (mode == Mode.REAL) {
            throw new IllegalStateException("a real-mode guest has no privilege levels");
        }
        this.user = true;
        return this;
    }

    /** Lets CPL3 code use ports {@code [first, first+count)} through the TSS I/O bitmap. */
    public TinyGuest allowUserPorts(int first, int count) {
        if (first < 0 || count < 0 || first + count > 0x10000) {
            throw new IllegalArgumentException("ports must lie in 0..0xffff");
        }
        userPorts.add(new int[]{first, count});
        return this;
    }

    /** Starts with RFLAGS.IF set. */
    public TinyGuest interruptsEnabled() {
        this.interruptsEnabled = true;
        return this;
    }

    /** Enables SYSCALL (EFER.SCE) with its entry point; long mode only. */
    public TinyGuest syscallHandler(long handler) {
        if (mode != Mode.LONG) {
            throw new IllegalStateException("SYSCALL is set up only for long-mode guests");
        }
        this.syscallHandler = handler;
        return this;
    }

    /**
     * Writes the structures and programs into {@code memory} and returns the initial vCPU state.
     *
     * @throws IllegalArgumentException if RAM does not cover the layout or the entry point is unusable
     */
    public GuestBoot build(GuestMemory memory) {
        if (!memory.isRam(0, LAYOUT_END)) {
            throw new IllegalArgumentException(String.format("tiny guests need RAM at [0, 0x%x)", LAYOUT_END));
        }
        long start = entry != null ? entry : blobs.isEmpty() ? (mode == Mode.REAL ? REAL_CODE : CODE) : blobs.getFirst().address;
        if (mode == Mode.REAL && (start < 0 || start >= 0x10_0000)) {
            throw new IllegalArgumentException(String.format("real-mode entry 0x%x is beyond 1 MiB", start));
        }
        writeGdt(memory);
        writeTss(memory);
        Descriptors.identityMap(memory, PML4, PDPT, PAGE_DIRECTORIES, 4, true);
        writeInterruptTable(memory);
        for (Blob b : blobs) {
            memory.write(b.address, b.bytes);
        }
        return new GuestBoot(registers(start), systemRegisters(start), msrs());
    }

    private void writeGdt(GuestMemory mem) {
        mem.fill(GDT, 0x1000, (byte) 0);
        mem.writeU64(GDT + KERNEL_CS32, Descriptors.segment(0, 0xfffff, Descriptors.CODE_DPL0, Descriptors.FLAGS_32));
        mem.writeU64(GDT + KERNEL_CS64, Descriptors.segment(0, 0xfffff, Descriptors.CODE_DPL0, Descriptors.FLAGS_64));
        mem.writeU64(GDT + KERNEL_DS, Descriptors.segment(0, 0xfffff, Descriptors.DATA_DPL0, Descriptors.FLAGS_32));
        mem.writeU64(GDT + (USER_CS32 & ~3), Descriptors.segment(0, 0xfffff, Descriptors.CODE_DPL3, Descriptors.FLAGS_32));
        mem.writeU64(GDT + (USER_DS & ~3), Descriptors.segment(0, 0xfffff, Descriptors.DATA_DPL3, Descriptors.FLAGS_32));
        mem.writeU64(GDT + (USER_CS64 & ~3), Descriptors.segment(0, 0xfffff, Descriptors.CODE_DPL3, Descriptors.FLAGS_64));
        // TR is loaded directly in protected and long mode, as LTR would, which marks the TSS busy.
        int tssAccess = mode == Mode.REAL ? Descriptors.TSS_AVAILABLE : Descriptors.TSS_BUSY;
        mem.writeU64(GDT + TSS_SELECTOR, Descriptors.tss(TSS, TSS_LIMIT, tssAccess));
        if (mode == Mode.LONG) {
            mem.writeU64(GDT + TSS_SELECTOR + 8, TSS >>> 32);
        }
        mem.writeU64(GDT + CODE16, Descriptors.segment(0, 0xffff, Descriptors.CODE_DPL0, Descriptors.FLAGS_16));
        mem.writeU64(GDT + DATA16, Descriptors.segment(0, 0xffff, Descriptors.DATA_DPL0, Descriptors.FLAGS_16));
        mem.writeU16(GDTR_POINTER, GDT_LIMIT);
        mem.writeU64(GDTR_POINTER + 2, GDT);
    }

    private void writeTss(GuestMemory mem) {
        mem.fill(TSS, TSS_LIMIT + 1, (byte) 0);
        if (mode == Mode.LONG) {
            mem.writeU64(TSS + 4, KERNEL_STACK_TOP);          // RSP0 (SDM Vol. 3A Figure 8-11)
        } else {
            mem.writeU32(TSS + 4, (int) KERNEL_STACK_TOP);    // ESP0 (SDM Vol. 3A Figure 8-2)
            mem.writeU16(TSS + 8, KERNEL_DS);                 // SS0
        }
        mem.writeU16(TSS + 0x66, TSS_IO_MAP);
        // Every port denied unless allowed; the byte after the bitmap must be all ones.
        mem.fill(TSS + TSS_IO_MAP, 8192 + 1, (byte) 0xff);
        for (int[] range : userPorts) {
            for (int port = range[0]; port < range[0] + range[1]; port++) {
                long at = TSS + TSS_IO_MAP + (port >>> 3);
                mem.writeU8(at, mem.readU8(at) & ~(1 << (port & 7)));
            }
        }
    }

    private void writeInterruptTable(GuestMemory mem) {
        mem.fill(IDT, 0x1000, (byte) 0);
        for (Map.Entry<Integer, Gate> e : gates.entrySet()) {
            int v = e.getKey();
            Gate g = e.getValue();
            switch (mode) {
                case REAL -> Descriptors.realModeVector(mem, v * 4L, g.handler);
                case PROTECTED -> Descriptors.gate32(mem, IDT + v * 8L, g.handler, KERNEL_CS32, g.dpl);
                case LONG -> Descriptors.gate64(mem, IDT + v * 16L, g.handler, KERNEL_CS64, g.dpl);
            }
        }
        DescriptorTable idtr = idtr();
        mem.writeU16(IDTR_POINTER, idtr.limit());
        mem.writeU64(IDTR_POINTER + 2, idtr.base());
    }

    private DescriptorTable idtr() {
        return switch (mode) {
            case REAL -> new DescriptorTable(0, 0x3ff);
            case PROTECTED -> gates.isEmpty() ? new DescriptorTable(0, 0) : new DescriptorTable(IDT, 256 * 8 - 1);
            case LONG -> gates.isEmpty() ? new DescriptorTable(0, 0) : new DescriptorTable(IDT, 256 * 16 - 1);
        };
    }

    private Registers registers(long start) {
        long rip = mode == Mode.REAL ? start & 0xffff : start;
        long rsp = mode == Mode.REAL ? REAL_STACK_TOP : user ? USER_STACK_TOP : KERNEL_STACK_TOP;
        long rflags = 2 | (interruptsEnabled ? RFLAGS_IF : 0);
        return new Registers(0, 0, 0, 0, 0, 0, rsp, 0, 0, 0, 0, 0, 0, 0, 0, 0, rip, rflags);
    }

    private SystemRegisters systemRegisters(long start) {
        DescriptorTable gdtr = new DescriptorTable(GDT, GDT_LIMIT);
        Segment ldt = Segment.nullSegment();
        return switch (mode) {
            case REAL -> {
                int selector = (int) (start >>> 16 << 12);
                Segment cs = Segment.real(selector, true);
                Segment ds = Segment.real(selector, false);
                Segment ss = Segment.real(0, false);
                Segment tr = new Segment(0, 0, 0xffff, 0xb, true, 0, false, false, false, false, false, false);
                Segment realLdt = new Segment(0, 0, 0xffff, 0x2, true, 0, false, false, false, false, false, false);
                yield new SystemRegisters(cs, ds, ds, ds, ds, ss, tr, realLdt, gdtr, idtr(),
                        SystemRegisters.CR0_ET, 0, 0, 0, 0, 0, APIC_BASE);
            }
            case PROTECTED -> {
                Segment cs = user ? new Segment(USER_CS32, 0, 0xffff_ffff, 0xb, true, 3, true, true, false, true, false, false)
                        : Segment.code32(KERNEL_CS32);
                Segment ds = Segment.data(user ? USER_DS : KERNEL_DS, user ? 3 : 0);
                Segment tr = new Segment(TSS_SELECTOR, TSS, TSS_LIMIT, 0xb, true, 0, false, false, false, false, false, false);
                long cr0 = SystemRegisters.CR0_PE | SystemRegisters.CR0_ET | SystemRegisters.CR0_NE;
                yield new SystemRegisters(cs, ds, ds, ds, ds, ds, tr, ldt, gdtr, idtr(), cr0, 0, 0, 0, 0, 0, APIC_BASE);
            }
            case LONG -> {
                Segment cs = user ? Segment.code64(USER_CS64, 3) : Segment.code64(KERNEL_CS64, 0);
                Segment ds = Segment.data(user ? USER_DS : KERNEL_DS, user ? 3 : 0);
                Segment tr = Segment.tss64(TSS_SELECTOR, TSS, TSS_LIMIT);
                long cr0 = SystemRegisters.CR0_PE | SystemRegisters.CR0_MP | SystemRegisters.CR0_ET
                        | SystemRegisters.CR0_NE | SystemRegisters.CR0_WP | SystemRegisters.CR0_PG;
                // OSFXSR/OSXMMEXCPT let test code use SSE (it runs natively at CPL3 on KVM hosts).
                long cr4 = SystemRegisters.CR4_PAE | SystemRegisters.CR4_OSFXSR | SystemRegisters.CR4_OSXMMEXCPT;
                long efer = SystemRegisters.EFER_LME | SystemRegisters.EFER_LMA
                        | (syscallHandler != null ? SystemRegisters.EFER_SCE : 0);
                yield new SystemRegisters(cs, ds, ds, ds, ds, ds, tr, ldt, gdtr, idtr(), cr0, 0, PML4, cr4, 0, efer, APIC_BASE);
            }
        };
    }

    private Map<Integer, Long> msrs() {
        Map<Integer, Long> m = new LinkedHashMap<>();
        if (syscallHandler != null) {
            // STAR[47:32]: SYSCALL CS (SS = CS+8); STAR[63:48]: SYSRET base (CS = base+16, SS = base+8).
            m.put(MSR_STAR, (long) KERNEL_CS64 << 32 | (long) (USER_CS32) << 48);
            m.put(MSR_LSTAR, syscallHandler);
            m.put(MSR_FMASK, RFLAGS_IF | 1L << 8 | 1L << 10);   // clear IF, TF and DF on entry
        }
        return m;
    }
}
