package dev.jvisor.emu.cpu;

import dev.jvisor.hypervisor.CrashReport;
import dev.jvisor.hypervisor.VcpuExit;

/**
 * The run loop of one emulated CPU: find or translate the block at RIP, execute it, deliver
 * exceptions and interrupts, poll timers, sleep in HLT. Returns only for lifecycle events.
 */
public final class Executor {
    /** Instructions between looks at the clock for due timers. */
    private static final long TIMER_POLL_INSNS = 4096;
    /**
     * Per-CPU direct-mapped cache of recently run blocks, in front of the VM-wide synchronized
     * table. Measured on the Debian boot (164 M block dispatches): 12 bits missed 2.6 M times,
     * 16 bits 0.29 M; the array is 256 KiB per vCPU, of which only the hot entries are touched.
     */
    private static final int JUMP_CACHE_BITS = 16;

    private final Cpu cpu;
    private final CodeCache cache;
    private final Translator translator;
    /**
     * The translation tier ({@code -Djvisor.emu.jit=false} turns it off): a block is compiled to
     * bytecode once it has run {@link #JIT_THRESHOLD} times (0: before its first run). The threshold
     * is high because a new class starts in HotSpot's bytecode interpreter and must itself get hot
     * before it beats the interpreter here; measured on the Linux boot (6 cold boots each, these
     * 2-core hosts), 10,000 gave a median of 10.6 s against 11.0 s without the tier.
     */
    private static final boolean JIT = Boolean.parseBoolean(System.getProperty("jvisor.emu.jit", "true"));
    private static final int JIT_THRESHOLD = Integer.getInteger("jvisor.emu.jit.threshold", 10_000);
    private final BlockCompiler compiler = new BlockCompiler();
    private final Block[] jumpCache = new Block[1 << JUMP_CACHE_BITS];
    private long nextTimerPoll;
    /** Linear addresses of the last blocks run, newest at recentIndex - 1: crash reports show them. */
    private final long[] recentBlocks = new long[64];
    private int recentIndex;
    private long blocksTranslated;

    public Executor(Cpu cpu, CodeCache cache) {
        this.cpu = cpu;
        this.cache = cache;
        this.translator = new Translator(cpu);
        cache.attach(cpu.mmu);
    }

    public long blocksTranslated() {
        return blocksTranslated;
    }

    private boolean compileEverything;

    /** Blocks compiled by the translation tier so far. */
    public long compiledBlocks() {
        return compiler.compiledBlocks();
    }

    /** Runs with every block compiled on first use (tests of the translation tier). */
    VcpuExit runWithEveryBlockCompiled() {
        compileEverything = true;
        try {
            return run();
        } finally {
            compileEverything = false;
        }
    }

    /** Runs until a kick, an unwakeable halt, a triple fault or an emulator failure. */
    public VcpuExit run() {
        Cpu c = cpu;
        try {
            while (true) {
                if (c.kickRequested) {
                    c.kickRequested = false;
                    return VcpuExit.KICKED;
                }
                if (c.instructions >= nextTimerPoll) {
                    pollTimers();
                }
                if (c.waitForSipi) {
                    if (!waitForStartup()) {
                        continue;
                    }
                }
                if (c.halted) {
                    VcpuExit exit = halt();
                    if (exit != null) {
                        return exit;
                    }
                    continue;
                }
                if (c.debugActive || (c.tracer != null && c.tracer.wantsInstructions())) {
                    VcpuExit exit = debugStep();
                    if (exit != null) {
                        return exit;
                    }
                    continue;
                }
                if (c.interruptShadow) {
                    c.interruptShadow = false;
                } else if ((c.rflagsRest & Cpu.IF) != 0 && c.env.interruptPending()) {
                    deliverInterrupt();
                }
                step();
            }
        } catch (Interrupts.TripleFault e) {
            return new VcpuExit.Shutdown(String.format("triple fault (last vector %d) at rip 0x%x%n%s%s", e.vector, c.rip,
                    CpuDump.describe(c, translator.decoder(), null), recentBlocks()));
        } catch (RuntimeException | StackOverflowError e) {
            return new VcpuExit.Crashed(crashReport("emulator failure: " + e, -1, e));
        }
    }

    private long interruptsDelivered;

    private void deliverInterrupt() {
        interruptsDelivered++;
        int vector = cpu.env.acknowledgeInterrupt();
        if (vector >= 0 && cpu.tracer != null) {
            cpu.tracer.interrupt(cpu, vector, cpu.rip);
        }
        if (vector >= 0) {
            Interrupts.deliverExternal(cpu, vector);
        }
    }

    /**
     * With {@code -Djvisor.emu.progress=SECONDS}, a line per interval says where the CPU is: a cheap
     * way to see a guest that spins or waits, without a tracer.
     */
    private static final long PROGRESS_NANOS = (long) (Double.parseDouble(
            System.getProperty("jvisor.emu.progress", "0")) * 1e9);
    private long nextProgress = System.nanoTime() + PROGRESS_NANOS;
    private long lastProgressInsns;

    private void reportProgress() {
        long now = System.nanoTime();
        if (now < nextProgress) {
            return;
        }
        Cpu c = cpu;
        System.err.printf("[emu cpu%d] rip=%x cpl=%d if=%d halted=%b insns=%d (+%.1f M) blocks=%d irqs=%d code=%s%n",
                c.index, c.rip, c.cpl, (c.rflagsRest & Cpu.IF) != 0 ? 1 : 0, c.halted, c.instructions,
                (c.instructions - lastProgressInsns) / 1e6, cache.size(), interruptsDelivered, CpuDump.codeBytes(c));
        if (c.halted && (c.rflagsRest & Cpu.IF) == 0) {
            System.err.println("[emu cpu" + c.index + "] halted with interrupts off; " + recentBlocks());
        }
        lastProgressInsns = c.instructions;
        nextProgress = now + PROGRESS_NANOS;
    }

    private void pollTimers() {
        if (PROGRESS_NANOS > 0) {
            reportProgress();
        }
        CpuEnvironment env = cpu.env;
        long now = env.nanos();
        if (now >= env.nextDeadline()) {
            env.updateTimers(now);
        }
        nextTimerPoll = cpu.instructions + TIMER_POLL_INSNS;
    }

    /** Waits in HLT; returns an exit when the CPU can never wake. */
    private VcpuExit halt() {
        Cpu c = cpu;
        CpuEnvironment env = c.env;
        if (PROGRESS_NANOS > 0) {
            reportProgress();
        }
        if (env.nmiPending()) {
            c.halted = false;
            env.acknowledgeNmi();
            Interrupts.deliverExternal(c, CpuException.NMI);
            return null;
        }
        if (env.interruptPending()) {
            if ((c.rflagsRest & Cpu.IF) != 0) {
                c.halted = false;
                deliverInterrupt();
            }
            // With IF clear a pending interrupt does not wake HLT, but keep polling: an NMI or INIT may.
        }
        if (!c.halted) {
            return null;
        }
        long deadline = env.nextDeadline();
        if ((c.rflagsRest & Cpu.IF) == 0 && deadline == Long.MAX_VALUE && c.index == 0) {
            return VcpuExit.HALTED;
        }
        long now = env.nanos();
        if (deadline > now) {
            env.waitForEvent(deadline, (c.rflagsRest & Cpu.IF) != 0);
            now = env.nanos();
        }
        if (now >= env.nextDeadline()) {
            env.updateTimers(now);
        }
        return null;
    }

    /** Application processors wait for INIT/SIPI (SDM Vol. 3A §9.4). */
    private boolean waitForStartup() {
        Cpu c = cpu;
        int ev = c.env.takeStartupEvent();
        if (ev >= 0) {
            Startup.sipi(c, ev);
            return true;
        }
        if (ev == -2) {
            Startup.init(c);
            return false;
        }
        c.env.waitForEvent(Long.MAX_VALUE, false);
        return false;
    }

    /**
     * One instruction under a debugger: stop at breakpoints before executing, after watchpoint hits
     * and after each instruction when single-stepping. While single-stepping no interrupt is
     * delivered (as QEMU's gdbstub does by default), so a step stays in the code being debugged.
     */
    private VcpuExit debugStep() {
        Cpu c = cpu;
        long csBase = c.mode64() ? 0 : c.seg[Cpu.CS].base;
        long linear = c.rip + csBase;
        if (c.codeSize != 64) {
            linear &= 0xffff_ffffL;
        }
        if (!c.skipBreakpointAt && c.breakpoints.length > 0 && c.breakpointAt(linear)) {
            c.skipBreakpointAt = true;
            return new VcpuExit.Debug(VcpuExit.Debug.Reason.BREAKPOINT, linear);
        }
        c.skipBreakpointAt = false;
        if (!c.singleStep) {
            if (c.interruptShadow) {
                c.interruptShadow = false;
            } else if ((c.rflagsRest & Cpu.IF) != 0 && c.env.interruptPending()) {
                deliverInterrupt();
                return null; // look at the handler's first instruction for breakpoints
            }
        }
        c.watchHit = -1;
        if (c.tracer != null && c.tracer.wantsInstructions()) {
            c.tracer.instruction(c, linear);
        }
        Block b;
        try {
            long host = c.mmu.fetchHostOffset(linear);
            b = translator.translate(linear, host, csBase, c.codeSize, 1);
        } catch (CpuException e) {
            Interrupts.deliverException(c, e.vector, e.hasErrorCode, e.errorCode);
            return c.singleStep ? new VcpuExit.Debug(VcpuExit.Debug.Reason.STEP, c.rip) : null;
        }
        execute(b);
        if (c.watchHit >= 0) {
            long hit = c.watchHit;
            c.watchHit = -1;
            return new VcpuExit.Debug(VcpuExit.Debug.Reason.WATCHPOINT, hit);
        }
        return c.singleStep ? new VcpuExit.Debug(VcpuExit.Debug.Reason.STEP, c.rip) : null;
    }

    /** Executes one block at the current RIP, delivering any exception it raises. */
    private void step() {
        Cpu c = cpu;
        Block b;
        try {
            b = findBlock();
        } catch (CpuException e) {
            Interrupts.deliverException(c, e.vector, e.hasErrorCode, e.errorCode);
            return;
        }
        execute(b);
    }

    private void execute(Block b) {
        Cpu c = cpu;
        recentBlocks[recentIndex++ & 63] = b.linear;
        CompiledBlock compiled = b.compiled;
        if (compiled == null && (JIT || compileEverything)
                && b.hotness++ >= (compileEverything ? 0 : JIT_THRESHOLD) && b.valid) {
            compiled = compiler.compile(b);
            b.compiled = compiled;
        }
        if (compiled != null) {
            c.exitBlock = false;
            try {
                compiled.run(c);
            } catch (CpuException e) {
                Insn at = b.insns[c.faultIndex];
                c.rip = at.rip;
                c.instructions += c.faultIndex;
                deliverFault(c, e, at);
            }
            return;
        }
        Insn[] insns = b.insns;
        int n = insns.length - 1;
        int i = 0;
        c.exitBlock = false;
        try {
            for (; i < n; i++) {
                insns[i].exec(c);
                if (c.exitBlock) {
                    c.rip = insns[i].rip + insns[i].length;
                    c.instructions += i + 1;
                    return;
                }
            }
            Insn last = insns[n];
            c.rip = last.rip + last.length;
            last.exec(c);
            c.instructions += n + 1;
        } catch (CpuException e) {
            c.rip = insns[i].rip;
            c.instructions += i;
            deliverFault(c, e, insns[i]);
        }
    }

    /** Delivers the exception {@code at} raised (RIP already points at it). */
    private static void deliverFault(Cpu c, CpuException e, Insn at) {
        int vector = e.vector;
        if (c.nonCanonicalFault) {
            c.nonCanonicalFault = false;
            if (vector == CpuException.GP && at.usesStackSegment()) {
                vector = CpuException.SS;
            }
        }
        Interrupts.deliverException(c, vector, e.hasErrorCode, e.errorCode);
    }

    private Block findBlock() {
        Cpu c = cpu;
        long csBase = c.mode64() ? 0 : c.seg[Cpu.CS].base;
        long linear = c.rip + csBase;
        if (c.codeSize != 64) {
            linear &= 0xffff_ffffL;
        }
        long host = c.mmu.fetchHostOffset(linear);
        int codeSize = c.codeSize;
        int j = (int) (linear ^ (linear >>> JUMP_CACHE_BITS)) & ((1 << JUMP_CACHE_BITS) - 1);
        Block b = jumpCache[j];
        if (b != null && b.valid && b.matches(linear, host, csBase, codeSize)) {
            return b;
        }
        b = cache.lookup(linear, host, csBase, codeSize);
        if (b == null) {
            b = translator.translate(linear, host, csBase, codeSize);
            cache.insert(b);
            blocksTranslated++;
        }
        jumpCache[j] = b;
        return b;
    }

    /** The last blocks run, oldest first, as hex linear addresses. */
    String recentBlocks() {
        StringBuilder sb = new StringBuilder("recent blocks:");
        int n = Math.min(recentIndex, 64);
        for (int i = recentIndex - n; i < recentIndex; i++) {
            sb.append(' ').append(Long.toHexString(recentBlocks[i & 63]));
        }
        return sb.toString();
    }

    /** A report for a VM that must stop: registers and the instructions around RIP. */
    CrashReport crashReport(String reason, int vector, Throwable cause) {
        return new CrashReport(reason, vector, cpu.rip, cpu.cr2,
                CpuDump.describe(cpu, translator.decoder(), cause) + recentBlocks());
    }
}
