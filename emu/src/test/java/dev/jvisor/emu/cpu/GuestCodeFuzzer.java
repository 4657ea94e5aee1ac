package dev.jvisor.emu.cpu;

import dev.jvisor.hypervisor.DescriptorTable;
import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.Segment;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.irqchip.LocalApic;
import dev.jvisor.irqchip.Platform;
import dev.jvisor.irqchip.VirtualClock;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.TinyGuest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Runs arbitrary guest code on a real emulated CPU, for the fuzz targets: one {@link TinyGuest}
 * machine per mode (64-bit CPL0/CPL3, compatibility mode CPL0/CPL3, 32-bit protected CPL0/CPL3,
 * 16-bit protected, real mode) with random registers, flags, x87/SSE state, control-register bits,
 * extra random GDT descriptors and a random data area, every IDT vector pointing at a stub that
 * ends the run (the IST takes a clean stack in long mode), and bounds on everything that could run
 * long: the first guest exception ends the run (its delivery still happens), so do a budget of
 * instructions, of device accesses, and HLT.
 *
 * <p>The contract checked ({@link #run}): the run loop returns a lifecycle exit, never
 * {@link VcpuExit.Crashed} (an exception other than a guest {@link CpuException} inside the
 * emulator), and no Throwable escapes it; the instruction count stays within the budget plus one
 * timer poll interval.
 */
final class GuestCodeFuzzer implements AutoCloseable {
    /** The CPU modes the emulator supports, as the machine starts in them. */
    enum Mode {
        LONG_CPL0(64), LONG_CPL3(64), COMPAT_CPL0(32), COMPAT_CPL3(32), PROTECTED_CPL0(32), PROTECTED_CPL3(32),
        PROTECTED_16(16), REAL(16);

        final int codeBits;

        Mode(int codeBits) {
            this.codeBits = codeBits;
        }

        boolean user() {
            return this == LONG_CPL3 || this == COMPAT_CPL3 || this == PROTECTED_CPL3;
        }
    }

    static final long RAM = 2 << 20;
    /** Protected and long-mode code; real-mode code lands somewhere in [0x1000, 0x20000). */
    static final long CODE = TinyGuest.CODE;
    static final int MAX_CODE = 512;
    /** Random bytes registers often point into. */
    static final long DATA = 0x20000, DATA_SIZE = 0x10000;
    /** Handler stubs (8 bytes per vector: mov al, v; out 0xf4, al; jmp $); real mode has its own copy. */
    static final int STUB = 16;
    static final long HANDLERS = 0x30000, REAL_HANDLERS = 0x50000, SYSCALL_HANDLER = HANDLERS + 256 * STUB;
    /** Exceptions a resuming run may take before the harness ends it. */
    static final int MAX_EXCEPTIONS = 32;
    static final long IST_STACK_TOP = 0x7f000;
    /** Where the fine-grained page tables go (64 KiB at the top of RAM). */
    static final long PAGING = RAM - 0x10000;
    /** Instructions per run before the harness kicks the CPU. */
    static final long INSTRUCTION_BUDGET = 2000;
    /** Port and MMIO accesses per run before the harness kicks the CPU (REP INS/OUTS over MMIO). */
    static final long ACCESS_BUDGET = 100_000;
    /** Instructions a run may overshoot the budget by: the run loop looks at the clock every 4096. */
    static final long OVERSHOOT = 4096 + Translator.MAX_INSNS;

    private static final HexFormat HEX = HexFormat.of();

    final GuestMemory memory = GuestMemory.flat(RAM);
    private final long budget;

    /** A fuzzer whose runs stop after about {@code budget} instructions. */
    GuestCodeFuzzer(long budget) {
        this.budget = budget;
    }

    GuestCodeFuzzer() {
        this(INSTRUCTION_BUDGET);
    }

    /** What one run did, for statistics and failure messages. */
    record Outcome(Mode mode, boolean compiled, VcpuExit exit, long instructions, int firstVector, long nanos,
                   String description, State state) {
    }

    /** The architectural state a run left, for comparing the interpreter with the translation tier. */
    record State(String exit, long instructions, int firstVector, int exceptions, List<Long> registers, long rip,
                 long rflags, List<Long> control, List<String> segments, int cpl,
                 boolean halted, List<Long> xmm, int mxcsr, String fpu, long memoryHash) {
        static State of(Cpu c, VcpuExit exit, int firstVector, int exceptions, GuestMemory memory) {
            List<String> segs = new ArrayList<>();
            for (SegmentRegister s : c.seg) {
                segs.add(String.format("%x/%x/%x/%x", s.selector, s.base, s.limit, s.attr));
            }
            segs.add(String.format("tr %x/%x ldtr %x/%x gdt %x/%x idt %x/%x", c.tr.selector, c.tr.base,
                    c.ldtr.selector, c.ldtr.base, c.gdtrBase, c.gdtrLimit, c.idtrBase, c.idtrLimit));
            FpuState f = c.getFpu();
            String fpu = String.format("fcw %x fsw %x ftw %x st %s", f.fcw(), f.fsw(), f.ftw(), HEX.formatHex(f.st()));
            CRC32 crc = new CRC32();
            crc.update(memory.hostMapping().asByteBuffer());
            return new State(exit.getClass().getSimpleName(), c.instructions, firstVector, exceptions,
                    Arrays.stream(c.r, 0, 16).boxed().toList(), c.rip, c.rflags(),
                    List.of(c.cr0, c.cr2, c.cr3, c.cr4, c.efer), segs, c.cpl, c.halted,
                    Arrays.stream(c.xmm).boxed().toList(), c.mxcsr, fpu, crc.getValue());
        }

        /** The components that differ, as "name: this / other" lines; empty when equal. */
        String diff(State o) {
            StringBuilder sb = new StringBuilder();
            var a = this.getClass().getRecordComponents();
            for (var rc : a) {
                try {
                    Object x = rc.getAccessor().invoke(this);
                    Object y = rc.getAccessor().invoke(o);
                    if (!Objects.equals(x, y)) {
                        sb.append(rc.getName()).append(": ").append(hex(x)).append(" / ").append(hex(y)).append('\n');
                    }
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            return sb.toString();
        }

        private static String hex(Object v) {
            if (v instanceof Long l) {
                return Long.toHexString(l);
            }
            if (v instanceof List<?> list && !list.isEmpty() && list.getFirst() instanceof Long) {
                return list.stream().map(x -> Long.toHexString((Long) x)).toList().toString();
            }
            return String.valueOf(v);
        }
    }

    /**
     * Runs the case {@code e} describes interpreted, then again with every block compiled, and
     * checks that both leave the same architectural state (registers, flags, control and segment
     * registers, x87/SSE, all of RAM, the exit, the first exception, the instruction count).
     *
     * @return the interpreted outcome
     * @throws AssertionError on an emulator failure in either run or any difference
     */
    Outcome differential(Entropy e, Mode mode, byte[] code) {
        Entropy.Recording recording = Entropy.recording(e);
        Outcome interpreted = run(recording, mode, false, code);
        Outcome compiled = run(recording.replay(), mode, true, code);
        String diff = interpreted.state().diff(compiled.state());
        if (!diff.isEmpty()) {
            throw new AssertionError("the translation tier and the interpreter disagree (interpreted / compiled):\n"
                    + diff + interpreted.description());
        }
        return interpreted;
    }

    @Override
    public void close() {
        memory.close();
    }

    /**
     * Builds a machine from {@code e}'s choices, puts {@code code} (or, if null, instruction-shaped
     * bytes from {@code e}) at its entry point and runs it, interpreted or with every block compiled.
     *
     * @throws AssertionError if the emulator failed (crash exit or an escaping Throwable) or ran unbounded
     */
    Outcome run(Entropy e, Mode mode, boolean compiled, byte[] code) {
        long started = System.nanoTime();
        Machine m = new Machine(e, mode, code, 0);
        VcpuExit exit;
        try {
            exit = compiled ? m.executor.runWithEveryBlockCompiled() : m.executor.run();
        } catch (Throwable t) {
            throw new AssertionError("a " + t.getClass().getName() + " escaped the run loop ("
                    + (compiled ? "compiled" : "interpreted") + ")\n" + m.describe(), t);
        }
        if (exit instanceof VcpuExit.Crashed crashed) {
            throw new AssertionError("emulator failure (" + (compiled ? "compiled" : "interpreted") + "): "
                    + crashed.report().reason() + "\n" + m.describe() + "\n" + crashed.report().detail());
        }
        if (m.cpu.instructions > budget + OVERSHOOT) {
            throw new AssertionError("run not bounded: " + m.cpu.instructions + " instructions\n" + m.describe());
        }
        String broken = m.env.badRip != null ? m.env.badRip : brokenInvariant(m.cpu);
        if (m.cache.splitLock.isLocked()) {
            broken = "the split-lock fallback lock is still held";
        }
        if (broken != null) {
            throw new AssertionError("state broken (" + (compiled ? "compiled" : "interpreted") + "): " + broken + "\n"
                    + m.describe());
        }
        return new Outcome(mode, compiled, exit, m.cpu.instructions, m.env.firstVector, System.nanoTime() - started,
                m.description, State.of(m.cpu, exit, m.env.firstVector, m.env.exceptions, memory));
    }

    /**
     * Two CPUs of one VM (shared RAM and code cache, locked instructions done atomically) run at
     * the same time on their own threads, the second starting in the first one's code with its own
     * registers, so blocks are shared, compiled (when {@code compiled}) and invalidated across CPUs.
     * The interleaving is up to the host scheduler: this checks only that neither CPU fails, nothing
     * escapes, both runs end, and the state invariants hold.
     *
     * @throws AssertionError as {@link #run} does, for either CPU
     */
    void runPair(Entropy e, Mode mode, boolean compiled) {
        Machine m = new Machine(e, mode, null, 2);
        FuzzEnvironment env2 = new FuzzEnvironment();
        env2.budget = budget;
        env2.resume = m.env.resume;
        Cpu cpu2 = new Cpu(1, 2, memory, env2);
        env2.cpu = cpu2;
        Executor executor2 = new Executor(cpu2, m.cache);
        cpu2.setSystemRegisters(m.cpu.getSystemRegisters());
        long[] r = new long[16];
        for (int i = 0; i < 16; i++) {
            r[i] = e.oneIn(2) ? CODE + e.below(0x1100) : value(e, mode);
        }
        r[4] = mode == Mode.REAL ? 0xc00 : (mode.user() ? TinyGuest.USER_STACK_TOP : TinyGuest.KERNEL_STACK_TOP) - 0x800;
        long rip = m.cpu.rip + e.below(32);
        cpu2.setRegisters(Registers.fromEncodingOrder(r, rip, flags(e)));
        cpu2.setFpu(m.cpu.getFpu());
        cpu2.setTracer(env2);
        String what = m.description + String.format("%nsecond cpu at rip 0x%x, registers %s", rip, HEX.formatHex(longs(r)));
        VcpuExit[] exits = new VcpuExit[2];
        Throwable[] thrown = new Throwable[2];
        Thread second = Thread.ofPlatform().name("fuzz-cpu1").start(() -> {
            try {
                exits[1] = compiled ? executor2.runWithEveryBlockCompiled() : executor2.run();
            } catch (Throwable t) {
                thrown[1] = t;
            }
        });
        try {
            exits[0] = compiled ? m.executor.runWithEveryBlockCompiled() : m.executor.run();
        } catch (Throwable t) {
            thrown[0] = t;
        }
        try {
            second.join(60_000);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        if (second.isAlive()) {
            cpu2.requestKick();
            throw new AssertionError("the second CPU did not stop\n" + what);
        }
        Cpu[] cpus = {m.cpu, cpu2};
        for (int k = 0; k < 2; k++) {
            if (thrown[k] != null) {
                throw new AssertionError("a " + thrown[k].getClass().getName() + " escaped the run loop of cpu " + k
                        + "\n" + what, thrown[k]);
            }
            if (exits[k] instanceof VcpuExit.Crashed crashed) {
                throw new AssertionError("emulator failure on cpu " + k + ": " + crashed.report().reason() + "\n" + what
                        + "\n" + crashed.report().detail());
            }
            String broken = brokenInvariant(cpus[k]);
            if (broken != null || cpus[k].instructions > budget + OVERSHOOT) {
                throw new AssertionError("cpu " + k + ": " + (broken != null ? broken : "ran unbounded") + "\n" + what);
            }
        }
        if (m.cache.splitLock.isLocked()) {
            throw new AssertionError("the split-lock fallback lock is still held\n" + what);
        }
    }

    /**
     * What no guest code can break: the constant-zero register slot, the zero segment-base slot,
     * RFLAGS bit 1 and the bits that are always clear, RIP within the code size (and canonical: a
     * branch to a non-canonical address faults at the branch), the x87 TOP.
     * Returns a description of the first violation, or null.
     */
    static String brokenInvariant(Cpu c) {
        if (c.r[Cpu.ZERO] != 0) {
            return "the constant-zero register slot holds " + Long.toHexString(c.r[Cpu.ZERO]);
        }
        if (c.segBase[6] != 0) {
            return "the zero segment-base slot holds " + Long.toHexString(c.segBase[6]);
        }
        long f = c.rflags();
        if ((f & 2) == 0 || (f & ~(Cpu.WRITABLE_FLAGS | Cpu.VM | 2)) != 0) {
            return "rflags " + Long.toHexString(f);
        }
        if (c.codeSize != 64 && (c.rip >>> 32) != 0 || c.codeSize == 64 && nonCanonical(c.rip)) {
            return "rip " + Long.toHexString(c.rip) + " in " + c.codeSize + "-bit code";
        }
        if (c.fpu.top < 0 || c.fpu.top > 7) {
            return "x87 top " + c.fpu.top;
        }
        return null;
    }

    /** One prepared machine: memory laid out, CPU state set, code in place. */
    private final class Machine {
        final FuzzEnvironment env = new FuzzEnvironment();
        final Cpu cpu;
        final Executor executor;
        final CodeCache cache = new CodeCache();
        final String description;
        /** How memory is mapped; with fine paging, CR3 and the CR4 paging bits to start with. */
        String paging;
        long pagingCr3 = -1;
        long pagingCr4;

        /** @param cpus how many CPUs the VM has (CPUID, locked instructions), 0 for a random choice */
        Machine(Entropy e, Mode mode, byte[] givenCode, int cpus) {
            // Bulk randomness (data area, descriptors, FPU registers) comes from one seed so a fuzzer
            // input stays short; everything that shapes control flow is chosen from e directly.
            SplittableRandom bulk = new SplittableRandom(e.bits64());
            memory.fill(0, RAM, (byte) 0);
            TinyGuest guest = switch (mode) {
                case LONG_CPL0, LONG_CPL3, COMPAT_CPL0, COMPAT_CPL3 -> TinyGuest.longMode();
                case PROTECTED_CPL0, PROTECTED_CPL3, PROTECTED_16 -> TinyGuest.protectedMode();
                case REAL -> TinyGuest.realMode();
            };
            if (mode.user()) {
                guest.userMode();
            }
            int gateDpl = e.oneIn(2) ? 3 : 0;
            for (int v = 0; v < 256; v++) {
                guest.interruptGate(v, (mode == Mode.REAL ? REAL_HANDLERS : HANDLERS) + (long) STUB * v, gateDpl);
            }
            boolean syscall = mode.codeBits != 16 && e.oneIn(2);
            if (syscall && guest.mode() == TinyGuest.Mode.LONG) {
                guest.syscallHandler(SYSCALL_HANDLER);
            }
            GuestBoot boot = guest.build(memory);
            // Handlers end the run, or (resuming runs) return past the first byte of the instruction
            // that faulted, so decoding goes on from the next byte: many more exceptions and IRETs.
            env.resume = e.oneIn(2);
            writeHandlers(mode, env.resume);
            byte[] data = new byte[(int) DATA_SIZE];
            bulk.nextBytes(data);
            memory.write(DATA, data);

            // Code: placed mid-page, across a page boundary, or running off the end of RAM; in real
            // mode at a random CS, sometimes where IP is about to wrap.
            long entry;
            long rip;
            int realCs = 0;
            if (mode == Mode.REAL) {
                rip = e.oneIn(8) ? 0x10000 - 1 - e.below(16) : e.below(0x1000);
                realCs = 0x100 + e.below(0xf00);
                entry = ((long) realCs << 4) + rip;
            } else {
                entry = switch (e.below(8)) {
                    case 0 -> 0x11000 - 1 - e.below(15);     // crosses into the next page
                    case 1 -> RAM - 1 - e.below(15);         // runs off the end of RAM
                    default -> CODE + e.below(0x1000);
                };
                rip = entry;
            }

            paging = e.oneIn(2) && mode != Mode.REAL ? finePaging(e, bulk, mode) : "identity";
            env.budget = budget;
            if (cpus == 0) {
                cpus = e.oneIn(4) ? 2 : 1;
            }
            if (e.oneIn(3)) {
                // The real interrupt and timer chips behind the devices, on a clock that advances
                // with the instructions run (deterministic).
                VirtualClock clock = new VirtualClock(
                        () -> (env.cpu == null ? 0 : env.cpu.instructions * 50) + env.accesses * 10,
                        VirtualClock.DEFAULT_TSC_HZ);
                env.platform = new Platform(clock, cpus, Platform.defaultIoapicId(cpus), Cpu.PHYSICAL_ADDRESS_BITS);
            }
            cpu = new Cpu(0, cpus, memory, env);
            env.cpu = cpu;
            executor = new Executor(cpu, cache);
            SystemRegisters s = systemRegisters(e, bulk, mode, boot.systemRegisters(), realCs);
            if (pagingCr3 >= 0) {
                long cr0 = s.cr0() | ControlRegisters.CR0_PG;
                long cr4 = (s.cr4() & ~(ControlRegisters.CR4_PAE | ControlRegisters.CR4_PSE)) | pagingCr4;
                s = new SystemRegisters(s.cs(), s.ds(), s.es(), s.fs(), s.gs(), s.ss(), s.tr(), s.ldt(), s.gdt(), s.idt(),
                        cr0, 0, pagingCr3, cr4, 0, s.efer(), s.apicBase());
            }
            cpu.setSystemRegisters(s);
            boot.msrs().forEach(cpu::setMsr);
            if (syscall) {
                cpu.setMsr(Msrs.IA32_SYSENTER_CS, e.oneIn(4) ? 0 : TinyGuest.KERNEL_CS32);
                cpu.setMsr(Msrs.IA32_SYSENTER_EIP, SYSCALL_HANDLER);
                cpu.setMsr(Msrs.IA32_SYSENTER_ESP, IST_STACK_TOP);
            }
            if (guestLong(mode)) {
                // Every gate on IST1, so delivery has a good stack whatever RSP the code left.
                memory.writeU64(TinyGuest.TSS + 0x24, IST_STACK_TOP);
                for (int v = 0; v < 256; v++) {
                    memory.writeU8(TinyGuest.IDT + 16L * v + 4, 1);
                }
            }
            corruptSomeGates(e, bulk, mode);

            byte[] code = givenCode != null ? givenCode
                    : InstructionSoup.code(e, mode.codeBits, 1 + e.below(e.oneIn(4) ? MAX_CODE : 48));
            if (code.length > MAX_CODE) {
                code = Arrays.copyOf(code, MAX_CODE);
            }
            int room = (int) Math.min(code.length, RAM - entry);
            memory.write(entry, code, 0, room);
            if (!e.oneIn(4) && entry + room + 2 <= RAM) {
                memory.write(entry + room, new byte[] {0x0f, 0x0b}); // UD2 ends the run after the code
            }

            long[] r = new long[16];
            for (int i = 0; i < 16; i++) {
                r[i] = value(e, mode);
            }
            r[4] = e.oneIn(4) ? value(e, mode) : mode == Mode.REAL ? 0x1000 - 2 * e.below(64)
                    : (mode.user() ? TinyGuest.USER_STACK_TOP : TinyGuest.KERNEL_STACK_TOP) - 8 * e.below(64);
            cpu.setRegisters(Registers.fromEncodingOrder(r, rip, flags(e)));
            cpu.setFpu(fpu(bulk));
            env.irqAt = e.oneIn(8) ? e.below(64) : -1;
            env.irqVector = e.oneIn(4) ? e.below(256) : 32 + e.below(224);
            env.valueSeed = bulk.nextLong();
            // Sometimes as under a tracer or debugger: one instruction per block (Executor.debugStep).
            env.stepping = e.oneIn(8);
            cpu.setTracer(env);
            description = String.format(
                    "mode %s, %d cpu(s)%s%s%s, %s paging, entry 0x%x, code %s%nregisters %s rflags %x cr0 %x cr4 %x",
                    mode, cpu.smp ? 2 : 1, env.stepping ? ", stepping" : "", env.resume ? ", resuming" : "",
                    env.platform != null ? ", platform chips" : "",
                    paging, entry, HEX.formatHex(code, 0, room), HEX.formatHex(longs(r)), cpu.rflags(),
                    cpu.cr0, cpu.cr4);
        }

        String describe() {
            return description + String.format("%nafter: rip %x, %d instructions, first exception %d of %d",
                    cpu.rip, cpu.instructions, env.firstVector, env.exceptions);
        }

        private void writeHandlers(Mode mode, boolean resume) {
            byte[] stubs = new byte[257 * STUB];
            for (int v = 0; v < 257; v++) {
                int at = STUB * v;
                boolean ending = !resume || v == CpuException.NMI || v == CpuException.DF || v == CpuException.MC
                        || v == 256;
                byte[] stub;
                if (ending) {
                    stub = new byte[] {(byte) 0xb0, (byte) v,                 // mov al, v
                        (byte) 0xe6, (byte) TestEnvironment.STOP,               // out 0xf4, al
                        (byte) 0xeb, (byte) 0xfe};                              // jmp $
                } else if (mode == Mode.REAL) {
                    stub = new byte[] {0x55, (byte) 0x89, (byte) 0xe5,        // push bp; mov bp, sp
                        (byte) 0xff, 0x46, 0x02,                                // inc word [bp+2]
                        0x5d, (byte) 0xcf};                                     // pop bp; iret
                } else if (guestLong(mode)) {
                    byte[] body = {0x48, (byte) 0x83, 0x04, 0x24, 0x01,       // add qword [rsp], 1
                        0x48, (byte) 0xcf};                                     // iretq
                    stub = CpuException.pushesErrorCode(v)
                            ? concat(new byte[] {0x48, (byte) 0x83, (byte) 0xc4, 0x08}, body) // add rsp, 8
                            : body;
                } else {
                    byte[] body = {(byte) 0x83, 0x04, 0x24, 0x01, (byte) 0xcf}; // add dword [esp], 1; iretd
                    stub = CpuException.pushesErrorCode(v)
                            ? concat(new byte[] {(byte) 0x83, (byte) 0xc4, 0x04}, body) // add esp, 4
                            : body;
                }
                System.arraycopy(stub, 0, stubs, at, stub.length);
            }
            memory.write(mode == Mode.REAL ? REAL_HANDLERS : HANDLERS, stubs);
        }

        private SystemRegisters systemRegisters(Entropy e, SplittableRandom bulk, Mode mode, SystemRegisters s,
                int realCs) {
            Segment cs = s.cs();
            Segment ds = s.ds(), es = s.es(), fs = s.fs(), gs = s.gs(), ss = s.ss();
            switch (mode) {
                case COMPAT_CPL0 -> cs = Segment.code32(TinyGuest.KERNEL_CS32);
                case COMPAT_CPL3 -> cs = new Segment(TinyGuest.USER_CS32, 0, 0xffff_ffff, 0xb, true, 3, true, true,
                        false, true, false, false);
                case PROTECTED_16 -> cs = new Segment(TinyGuest.CODE16, 0, 0xffff, 0xb, true, 0, false, true, false,
                        false, false, false);
                case REAL -> {
                    cs = Segment.real(realCs, true);
                    ds = Segment.real(realSelector(e), false);
                    es = Segment.real(realSelector(e), false);
                    fs = Segment.real(realSelector(e), false);
                    gs = Segment.real(realSelector(e), false);
                    ss = e.oneIn(4) ? Segment.real(realSelector(e), false) : ss;
                }
                default -> {
                }
            }
            if (mode.codeBits == 64 && e.oneIn(4)) {
                fs = withBase(fs, value(e, mode));
                gs = withBase(gs, value(e, mode));
            }
            // More descriptors after the tiny guest's: selectors in random registers reach them.
            int gdtLimit = s.gdt().limit();
            if (mode != Mode.REAL && e.oneIn(2)) {
                for (long at = TinyGuest.GDT + 0x58; at < TinyGuest.GDTR_POINTER; at += 8) {
                    memory.writeU64(at, descriptor(bulk));
                }
                gdtLimit = (int) (TinyGuest.GDTR_POINTER - TinyGuest.GDT - 1);
            }
            long cr0 = s.cr0();
            long[] cr0Bits = {ControlRegisters.CR0_MP, ControlRegisters.CR0_EM, ControlRegisters.CR0_TS,
                ControlRegisters.CR0_NE, ControlRegisters.CR0_AM, ControlRegisters.CR0_WP};
            for (long bit : cr0Bits) {
                if (e.oneIn(8)) {
                    cr0 ^= bit;
                }
            }
            if (e.oneIn(16)) {
                cr0 |= ControlRegisters.CR0_CD | (e.oneIn(2) ? ControlRegisters.CR0_NW : 0);
            }
            long cr4 = s.cr4();
            long[] cr4Bits = {ControlRegisters.CR4_TSD, ControlRegisters.CR4_DE, ControlRegisters.CR4_PSE,
                ControlRegisters.CR4_PGE, ControlRegisters.CR4_PCE, ControlRegisters.CR4_OSFXSR,
                ControlRegisters.CR4_OSXMMEXCPT};
            for (long bit : cr4Bits) {
                if (e.oneIn(3)) {
                    cr4 ^= bit;
                }
            }
            long efer = s.efer();
            if (guestLong(mode) && e.oneIn(2)) {
                efer |= Msrs.EFER_NXE;
            }
            return new SystemRegisters(cs, ds, es, fs, gs, ss, s.tr(), s.ldt(),
                    new DescriptorTable(s.gdt().base(), gdtLimit), s.idt(), cr0, 0, s.cr3(), cr4,
                    0, efer, s.apicBase());
        }

        /**
         * Page tables with 4 KiB pages over the first 2 MiB (long mode, PAE or 32-bit paging in
         * protected mode), the code, data and some random pages given random attributes: not
         * present, read-only, supervisor-only, no-execute, global, reserved bits, another frame or a
         * frame outside RAM. The tables themselves, the handlers and stacks stay mapped as they are.
         *
         * @return a description for failure messages
         */
        private String finePaging(Entropy e, SplittableRandom bulk, Mode mode) {
            long flags = 0x7; // P, W, U
            long[] pte = new long[512];
            for (int i = 0; i < 512; i++) {
                pte[i] = ((long) i << 12) | flags;
            }
            int changed = 0;
            int n = 1 + e.below(12);
            for (int k = 0; k < n; k++) {
                int page = switch (e.below(4)) {
                    case 0 -> (int) (CODE >>> 12) + e.below(2);
                    case 1 -> (int) (DATA >>> 12) + e.below((int) (DATA_SIZE >>> 12));
                    case 2 -> (int) (DATA >>> 12) + e.below(2);
                    default -> 0x100 + e.below(0xf0);
                };
                pte[page] = randomPte(e, bulk, page);
                changed++;
            }
            boolean pae = guestLong(mode) || e.oneIn(2);
            if (guestLong(mode)) {
                // Replace the first 2 MiB page of the identity map with the page table.
                writePte64(PAGING, pte);
                memory.writeU64(TinyGuest.PAGE_DIRECTORIES, PAGING | flags);
                return "4-level with 4 KiB pages (" + changed + " changed)";
            }
            if (pae) {
                // PDPT (4 entries), four page directories of 2 MiB pages, the first entry a page table.
                long pdpt = PAGING, pd = PAGING + 0x1000, pt = PAGING + 0x5000;
                for (int g = 0; g < 4; g++) {
                    memory.writeU64(pdpt + 8L * g, (pd + 0x1000L * g) | 1);
                    for (int i = 0; i < 512; i++) {
                        long frame = ((long) g << 30) | ((long) i << 21);
                        memory.writeU64(pd + 0x1000L * g + 8L * i, frame | flags | 0x80);
                    }
                }
                memory.writeU64(pd, pt | flags);
                writePte64(pt, pte);
                pagingCr3 = pdpt;
                pagingCr4 = ControlRegisters.CR4_PAE;
                return "PAE with 4 KiB pages (" + changed + " changed)";
            }
            // 32-bit paging: 4 MiB pages (PSE) but a page table for the first 4 MiB.
            long pd = PAGING, pt = PAGING + 0x1000;
            for (int i = 0; i < 1024; i++) {
                memory.writeU32(pd + 4L * i, (int) (((long) i << 22) | flags | 0x80));
            }
            memory.writeU32(pd, (int) (pt | flags));
            for (int i = 0; i < 1024; i++) {
                long v = i < 512 ? pte[i] : ((long) i << 12) | flags;
                memory.writeU32(pt + 4L * i, (int) v); // no NX or high frame bits in 32-bit entries
            }
            pagingCr3 = pd;
            pagingCr4 = ControlRegisters.CR4_PSE;
            return "32-bit with 4 KiB pages (" + changed + " changed)";
        }

        private void writePte64(long table, long[] pte) {
            for (int i = 0; i < 512; i++) {
                memory.writeU64(table + 8L * i, pte[i]);
            }
        }

        private long randomPte(Entropy e, SplittableRandom bulk, int page) {
            long frame = (long) page << 12;
            switch (e.below(8)) {
                case 0 -> frame = (long) bulk.nextInt((int) (RAM >>> 12)) << 12;          // another frame
                case 1 -> frame = 0xfee0_0000L + ((long) bulk.nextInt(16) << 12);           // MMIO
                case 2 -> frame = (bulk.nextLong() & 0x000f_ffff_ffff_f000L);               // anywhere
                default -> {
                }
            }
            long v = frame | (bulk.nextLong() & 0xfff) | 1;
            if (e.oneIn(4)) {
                v &= ~1L; // not present
            }
            if (e.oneIn(4)) {
                v |= 1L << 63; // NX
            }
            if (e.oneIn(8)) {
                v |= 1L << (Mmu.MAXPHYADDR + bulk.nextInt(52 - Mmu.MAXPHYADDR)); // reserved
            }
            return v & ~0x80L | (e.oneIn(16) ? 0x80 : 0); // PS in a PTE is PAT: harmless
        }

        /** Sometimes one gate (or a few) becomes random bits: task gates, call gates, not-present, junk. */
        private void corruptSomeGates(Entropy e, SplittableRandom bulk, Mode mode) {
            if (!e.oneIn(8)) {
                return;
            }
            int n = 1 + e.below(4);
            for (int i = 0; i < n; i++) {
                int v = e.oneIn(2) ? e.below(32) : e.below(256);
                if (mode == Mode.REAL) {
                    memory.writeU32(4L * v, bulk.nextInt());
                } else if (guestLong(mode)) {
                    memory.writeU64(TinyGuest.IDT + 16L * v, descriptor(bulk));
                    memory.writeU64(TinyGuest.IDT + 16L * v + 8, bulk.nextInt(8) == 0 ? bulk.nextLong() : 0);
                } else {
                    memory.writeU64(TinyGuest.IDT + 8L * v, descriptor(bulk));
                }
            }
        }
    }

    /** Whether {@code v} is not a canonical 48-bit linear address. */
    static boolean nonCanonical(long v) {
        return ((v << 16) >> 16) != v;
    }

    private static boolean guestLong(Mode mode) {
        return mode == Mode.LONG_CPL0 || mode == Mode.LONG_CPL3 || mode == Mode.COMPAT_CPL0 || mode == Mode.COMPAT_CPL3;
    }

    private static Segment withBase(Segment s, long base) {
        return new Segment(s.selector(), base, s.limit(), s.type(), s.present(), s.dpl(), s.db(), s.s(), s.l(), s.g(),
                s.avl(), s.unusable());
    }

    private static int realSelector(Entropy e) {
        return switch (e.below(4)) {
            case 0 -> 0;
            case 1 -> (int) (DATA >>> 4);
            case 2 -> 0xffff;
            default -> e.below(0x10000);
        };
    }

    private static final long[] SPECIAL = {0, 1, 2, -1, -2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x1_0000,
        0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL, 0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE,
        0x0000_7fff_ffff_f000L, 0x0000_8000_0000_0000L, 0xffff_8000_0000_0000L, 0xffff_7fff_ffff_ffffL, 0xfff,
        0x1000, 0xffe, RAM - 1, RAM, 63, 64, 31, 32, 15, 16};

    /** A register value: mostly small (addresses in RAM, selectors, counts), sometimes special or wild. */
    static long value(Entropy e, Mode mode) {
        return switch (e.below(11)) {
            case 0, 1 -> DATA + e.below((int) DATA_SIZE);
            case 2 -> e.below((int) RAM);
            case 10 -> CODE + e.below(0x1100); // stores into the code itself
            case 3 -> e.below(256);
            case 4 -> e.below(16);
            case 5, 6 -> SPECIAL[e.below(SPECIAL.length)];
            case 7 -> mode.codeBits == 64 ? e.bits64() : e.bits64() & 0xffff_ffffL;
            default -> e.bits64();
        };
    }

    private static long flags(Entropy e) {
        long f = 2 | (e.bits64() & Cpu.ARITH_FLAGS);
        if (e.oneIn(4)) {
            f |= Cpu.DF;
        }
        if (!e.oneIn(8)) {
            f |= Cpu.IF;
        }
        if (e.oneIn(32)) {
            f |= Cpu.TF;
        }
        if (e.oneIn(8)) {
            f |= Cpu.AC;
        }
        if (e.oneIn(32)) {
            f |= Cpu.NT;
        }
        if (e.oneIn(4)) {
            f |= (long) e.below(4) << 12; // IOPL
        }
        if (e.oneIn(16)) {
            f |= Cpu.RF | Cpu.ID | Cpu.VIF | Cpu.VIP;
        }
        return f;
    }

    /** A segment or gate descriptor: often present and well-formed, sometimes junk. */
    private static long descriptor(SplittableRandom r) {
        if (r.nextInt(4) == 0) {
            return r.nextLong();
        }
        long base = r.nextInt(2) == 0 ? r.nextInt((int) RAM) : r.nextLong() & 0xffff_ffffL;
        long limit = r.nextInt(2) == 0 ? 0xfffff : r.nextInt(0x100000);
        int type = r.nextInt(16);
        boolean system = r.nextInt(3) == 0;
        int access = (r.nextInt(8) == 0 ? 0 : 0x80) | r.nextInt(4) << 5 | (system ? 0 : 0x10) | type;
        int flagBits = r.nextInt(16);
        if (system && (type == 4 || type == 0xc || type == 5 || type == 0xe || type == 0xf || type == 6 || type == 7)) {
            // Gates: selector in bits 16-31, offset in 0-15 and 48-63; point them at our selectors.
            int[] selectors = {TinyGuest.KERNEL_CS32, TinyGuest.KERNEL_CS64, TinyGuest.USER_CS32, TinyGuest.USER_CS64,
                TinyGuest.TSS_SELECTOR, TinyGuest.CODE16, r.nextInt(0x10000)};
            long offset = r.nextInt(2) == 0 ? HANDLERS + (long) STUB * r.nextInt(256) : r.nextLong() & 0xffff_ffffL;
            return (offset & 0xffff) | (long) selectors[r.nextInt(selectors.length)] << 16
                    | (long) (r.nextInt(32)) << 32 | (long) access << 40 | (offset >>> 16) << 48;
        }
        return (limit & 0xffff) | (base & 0xff_ffff) << 16 | (long) access << 40 | (limit >>> 16 & 0xf) << 48
                | (long) flagBits << 52 | (base >>> 24 & 0xff) << 56;
    }

    private static final byte[][] SPECIAL_80 = {
        {0, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xff, 0x7f},            // +inf
        {0, 0, 0, 0, 0, 0, 0, (byte) 0xc0, (byte) 0xff, (byte) 0xff},     // default NaN
        {1, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xff, 0x7f},            // SNaN
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},                                   // +0
        {1, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0x80},                         // -denormal
        {0, 0, 0, 0, 0, 0, 0, (byte) 0x80, 0, 0},                         // pseudo-denormal
        {0, 0, 0, 0, 0, 0, 0, 0x40, (byte) 0xff, 0x3f},                   // unnormal
        {0, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0xff, 0x3f},            // 1.0
        {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xfe, 0x7f},                                           // largest finite
    };

    private static final long[] SPECIAL_64 = {0, 0x8000_0000_0000_0000L, 0x7ff0_0000_0000_0000L,
        0x7ff8_0000_0000_0000L, 0x7ff0_0000_0000_0001L, 1, 0x000f_ffff_ffff_ffffL, 0x7f80_0000_7fc0_0000L,
        0x0000_0001_8000_0000L, 0x3ff0_0000_0000_0000L, 0x43e0_0000_0000_0000L, -1};

    private static FpuState fpu(SplittableRandom r) {
        byte[] st = new byte[80];
        for (int i = 0; i < 8; i++) {
            if (r.nextInt(2) == 0) {
                System.arraycopy(SPECIAL_80[r.nextInt(SPECIAL_80.length)], 0, st, 10 * i, 10);
            } else {
                byte[] b = new byte[10];
                r.nextBytes(b);
                if (r.nextInt(2) == 0) {
                    b[7] |= (byte) 0x80; // normal: explicit integer bit
                    b[9] = (byte) (b[9] & 0x80 | 0x3f);
                }
                System.arraycopy(b, 0, st, 10 * i, 10);
            }
        }
        byte[] xmm = new byte[256];
        for (int i = 0; i < 32; i++) {
            long v = r.nextInt(2) == 0 ? SPECIAL_64[r.nextInt(SPECIAL_64.length)] : r.nextLong();
            for (int k = 0; k < 8; k++) {
                xmm[8 * i + k] = (byte) (v >>> (8 * k));
            }
        }
        int fcw = r.nextInt(2) == 0 ? r.nextInt(0x10000) : 0x37f & ~r.nextInt(0x40);
        int fsw = r.nextInt(2) == 0 ? r.nextInt(0x10000) : r.nextInt(8) << 11;
        int mxcsr = r.nextInt(2) == 0 ? r.nextInt(0x10000) & Sse.MXCSR_MASK : 0x1f80 & ~r.nextInt(0x80) << 7;
        return new FpuState(st, fcw, fsw, r.nextInt(256), r.nextInt(0x800), r.nextLong() & 0xffff_ffffL, 0, xmm, mxcsr);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static byte[] longs(long[] v) {
        byte[] b = new byte[8 * v.length];
        for (int i = 0; i < v.length; i++) {
            for (int k = 0; k < 8; k++) {
                b[8 * i + 7 - k] = (byte) (v[i] >>> (8 * k));
            }
        }
        return b;
    }

    /**
     * The devices and the watchdog of a fuzz run: cheap answers to every access, a kick when the
     * instruction or access budget runs out or the CPU would sleep, and (as tracer) a kick at the
     * first guest exception, after it has been delivered.
     */
    static final class FuzzEnvironment implements CpuEnvironment, ExecutionTracer {
        Cpu cpu;
        long budget;
        long accesses;
        long irqAt = -1;
        int irqVector;
        int firstVector = -1;
        long valueSeed;
        boolean stepping;
        /** Guest handlers resume after faults: the run ends after {@link #MAX_EXCEPTIONS}, not the first. */
        boolean resume;
        int exceptions;
        /** Set when an exception was reported at a RIP no instruction can have. */
        String badRip;
        /** The emulator back end's LAPIC, IOAPIC, PIC and PIT, or null for plain answers. */
        Platform platform;
        private long now;
        private long apicBase = 0xfee00900L;

        private void check() {
            if (cpu.instructions >= budget) {
                cpu.requestKick();
            }
        }

        private void access() {
            if (++accesses > ACCESS_BUDGET) {
                cpu.requestKick();
            }
        }

        private long deviceValue(long address, int size) {
            long v = (address * 0x9e37_79b9_7f4a_7c15L) ^ valueSeed;
            return v & Insn.mask(size);
        }

        private boolean inApicPage(long address) {
            LocalApic lapic = platform.lapic(0);
            return lapic.hardwareEnabled() && (address & ~0xfffL) == lapic.baseAddress();
        }

        @Override
        public boolean wantsInstructions() {
            return stepping;
        }

        @Override
        public void instruction(CpuView c, long linear) {
            check();
        }

        @Override
        public void exception(CpuView c, int vector, int errorCode, long rip, long cr2) {
            if (firstVector < 0) {
                firstVector = vector;
            }
            if (c.codeSize() == 64 && nonCanonical(rip) && badRip == null) {
                badRip = String.format("exception %d reported at the non-canonical rip %x", vector, rip);
            }
            if (++exceptions >= MAX_EXCEPTIONS || !resume) {
                cpu.requestKick();
            }
        }

        @Override
        public boolean interruptPending() {
            check();
            return irqAt >= 0 && cpu.instructions >= irqAt || platform != null && platform.lapic(0).interruptPending();
        }

        @Override
        public int acknowledgeInterrupt() {
            if (irqAt >= 0 && cpu.instructions >= irqAt) {
                irqAt = -1;
                return irqVector;
            }
            return platform != null ? platform.lapic(0).acknowledge() : -1;
        }

        @Override
        public boolean nmiPending() {
            return platform != null && platform.lapic(0).nmiPending();
        }

        @Override
        public void acknowledgeNmi() {
            if (platform != null) {
                platform.lapic(0).acknowledgeNmi();
            }
        }

        @Override
        public long pioRead(int port, int size) {
            access();
            if (platform != null && platform.handlesPort(port)) {
                return platform.pioRead(port, size);
            }
            return deviceValue(port, size);
        }

        @Override
        public void pioWrite(int port, int size, long value) {
            access();
            if (port == TestEnvironment.STOP) {
                cpu.requestKick();
            } else if (platform != null && platform.handlesPort(port)) {
                platform.pioWrite(port, size, value);
            }
        }

        @Override
        public long mmioRead(long physicalAddress, int size) {
            access();
            if (platform != null) {
                if (inApicPage(physicalAddress)) {
                    return platform.lapic(0).mmioRead((int) (physicalAddress & 0xfff), size);
                }
                if (platform.handlesMmio(physicalAddress)) {
                    return platform.mmioRead(physicalAddress, size);
                }
            }
            return deviceValue(physicalAddress, size);
        }

        @Override
        public void mmioWrite(long physicalAddress, int size, long value) {
            access();
            if (platform != null) {
                if (inApicPage(physicalAddress)) {
                    platform.lapic(0).mmioWrite((int) (physicalAddress & 0xfff), size, value);
                } else if (platform.handlesMmio(physicalAddress)) {
                    platform.mmioWrite(physicalAddress, size, value);
                }
            }
        }

        @Override
        public long nanos() {
            check();
            return platform != null ? platform.clock().nanos() : (now += 1000);
        }

        @Override
        public long tsc() {
            return platform != null ? platform.clock().tsc() : now * 2;
        }

        @Override
        public void setTsc(long value) {
            if (platform != null) {
                platform.clock().setTsc(value);
            }
        }

        @Override
        public long readMsr(int index) {
            if (platform != null) {
                LocalApic lapic = platform.lapic(0);
                return index == LocalApic.MSR_APIC_BASE ? lapic.readApicBase() : lapic.readTscDeadline();
            }
            return apicBase;
        }

        @Override
        public void writeMsr(int index, long value) {
            if (platform != null) {
                LocalApic lapic = platform.lapic(0);
                if (index == LocalApic.MSR_APIC_BASE) {
                    lapic.writeApicBase(value);
                } else {
                    lapic.writeTscDeadline(value);
                }
                return;
            }
            apicBase = value;
        }

        @Override
        public boolean ownsMsr(int index) {
            return index == Msrs.IA32_APIC_BASE || platform != null && index == LocalApic.MSR_TSC_DEADLINE;
        }

        @Override
        public long nextDeadline() {
            return platform != null ? platform.nextDeadline(0) : Long.MAX_VALUE;
        }

        @Override
        public void updateTimers(long now) {
            if (platform != null) {
                platform.updateTimers(0, now);
            }
        }

        @Override
        public void waitForEvent(long deadline, boolean maskableAccepted) {
            cpu.requestKick(); // a sleeping CPU is the end of a run
        }

        @Override
        public void wake() {
        }

        @Override
        public int takeStartupEvent() {
            return -1;
        }
    }
}
