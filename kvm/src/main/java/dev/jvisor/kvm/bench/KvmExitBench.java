package dev.jvisor.kvm.bench;

import dev.jvisor.hypervisor.Availability;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.Segment;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.VmOps;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.kvm.KvmHypervisor;
import dev.jvisor.kvm.KvmVcpu;
import dev.jvisor.kvm.KvmVm;
import dev.jvisor.memory.GuestMemory;
import java.io.PrintStream;
import java.util.Optional;

/**
 * Measures the cost of one KVM port-I/O exit through the Java back end: a real-mode guest runs
 * {@code out dx, al; dec ecx; jnz} N times, each OUT exiting to a port handler that does nothing.
 * Optionally compares with {@code kvm_exit.c}, the same guest driven by raw ioctls from C.
 *
 * <p>Used by {@code jvisor bench kvm-exit [--exits N] [--vs-c]} through {@link #run}; the last line
 * it prints is exactly {@code kvm-exit: <N> exits, <ns> ns/exit}.
 */
public final class KvmExitBench {
    /** Port the loop writes, and the port that ends a run (kicking the vCPU). */
    static final int LOOP_PORT = 0x500, EXIT_PORT = 0xf4;
    /** Where the guest is loaded and starts, as 0000:1000 in real mode. */
    static final int CODE_ADDRESS = 0x1000;
    /** Most exits one run can make: the loop counter is ECX. */
    public static final long MAX_EXITS = 0xffff_ffffL;
    public static final long DEFAULT_EXITS = 100_000;

    /**
     * One measurement.
     *
     * @param exits      port exits measured (the final exit-port write is not counted)
     * @param totalNanos wall time of the measured run
     */
    public record Result(long exits, long totalNanos) {
        public double nanosPerExit() {
            return (double) totalNanos / exits;
        }

        /** {@code kvm-exit: <N> exits, <ns> ns/exit}, the summary line the CLI prints last. */
        public String summary() {
            return "kvm-exit: " + exits + " exits, " + Math.round(nanosPerExit()) + " ns/exit";
        }
    }

    private KvmExitBench() {
    }

    /**
     * The guest, for 0000:1000 in real mode: loops ECX times on OUT to {@link #LOOP_PORT}, then
     * writes {@link #EXIT_PORT}. Spelled out so the benchmark needs no assembler at run time (a test
     * checks the bytes against the testkit assembler):
     * <pre>
     *   ba 00 05      mov dx, 0x500
     *   ee      loop: out dx, al
     *   66 49         dec ecx
     *   75 fb         jnz loop
     *   e6 f4         out 0xf4, al
     *   f4            hlt
     * </pre>
     */
    public static byte[] guestCode() {
        return new byte[]{(byte) 0xba, 0x00, 0x05, (byte) 0xee, 0x66, 0x49, 0x75, (byte) 0xfb, (byte) 0xe6, (byte) 0xf4,
                (byte) 0xf4};
    }

    /**
     * Runs the guest for {@code exits} exits on the Java KVM back end, after a warm-up run.
     *
     * @throws HypervisorException if KVM is unusable here
     * @throws IllegalArgumentException if {@code exits} is not in 1..{@link #MAX_EXITS}
     */
    public static Result measure(long exits) {
        checkExits(exits);
        try (KvmHypervisor kvm = new KvmHypervisor()) {
            Availability availability = kvm.availability();
            if (!availability.present()) {
                throw new HypervisorException("kvm-exit needs KVM: " + availability.reason());
            }
            try (GuestMemory memory = GuestMemory.flat(1 << 20)) {
                ExitOps ops = new ExitOps();
                try (KvmVm vm = kvm.createVm(new VmSpec(memory, 1, ops))) {
                    KvmVcpu vcpu = vm.vcpus().getFirst();
                    ops.vcpu = vcpu;
                    memory.write(CODE_ADDRESS, guestCode());
                    SystemRegisters reset = vcpu.getSystemRegisters();
                    vcpu.setSystemRegisters(reset.withSegments(Segment.real(0, true), Segment.real(0, false), reset.tr()));
                    loop(vcpu, ops, Math.min(exits / 10 + 1, 10_000));
                    long before = vcpu.exitCount();
                    long t0 = System.nanoTime();
                    loop(vcpu, ops, exits);
                    long elapsed = System.nanoTime() - t0;
                    return new Result(vcpu.exitCount() - before - 1, elapsed);
                }
            }
        }
    }

    private static void loop(KvmVcpu vcpu, ExitOps ops, long count) {
        ops.finished = false;
        vcpu.setRegisters(new Registers(0, 0, count, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, CODE_ADDRESS, 2));
        VcpuExit exit = vcpu.run();
        if (exit != VcpuExit.KICKED || !ops.finished) {
            throw new HypervisorException("the benchmark guest stopped unexpectedly: " + exit);
        }
    }

    /**
     * Measures, optionally compares with C, and prints the results to {@code out}; the last line is
     * the {@link Result#summary()} of the Java measurement.
     */
    public static Result run(long exits, boolean compareWithC, PrintStream out) {
        Result java = measure(exits);
        if (compareWithC) {
            Optional<Result> c = CReference.measure(exits, guestCode());
            if (c.isPresent()) {
                out.printf("kvm-exit (C reference): %d exits, %d ns/exit%n", c.get().exits(), Math.round(c.get().nanosPerExit()));
                out.printf("kvm-exit Java/C ratio: %.2f%n", java.nanosPerExit() / c.get().nanosPerExit());
            } else {
                out.println("kvm-exit (C reference): skipped, gcc is not installed");
            }
        }
        out.println(java.summary());
        return java;
    }

    /** {@code [--exits N] [--vs-c]}. */
    public static void main(String[] args) {
        long exits = DEFAULT_EXITS;
        boolean vsC = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--exits" -> {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("--exits needs a number");
                    }
                    exits = Long.parseLong(args[++i]);
                }
                case "--vs-c" -> vsC = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use [--exits N] [--vs-c]");
            }
        }
        run(exits, vsC, System.out);
    }

    static void checkExits(long exits) {
        if (exits < 1 || exits > MAX_EXITS) {
            throw new IllegalArgumentException("exits must be 1.." + MAX_EXITS + ", got " + exits);
        }
    }

    /** Does nothing for the loop port; ends the run at the exit port. No allocation. */
    private static final class ExitOps implements VmOps {
        KvmVcpu vcpu;
        volatile boolean finished;

        @Override
        public long pioRead(int port, int size) {
            return -1L;
        }

        @Override
        public void pioWrite(int port, int size, long value) {
            if (port == EXIT_PORT) {
                finished = true;
                vcpu.kick();
            }
        }

        @Override
        public long mmioRead(long address, int size) {
            return -1L;
        }

        @Override
        public void mmioWrite(long address, int size, long value) {
        }
    }
}
