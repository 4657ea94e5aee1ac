package dev.jvisor.cli;

import dev.jvisor.kvm.bench.KvmExitBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor bench kvm-exit}: a real-mode guest loops on {@code out dx, al; jmp} and the Java exit
 * path (KVM_RUN return, decode, device dispatch, re-entry) is timed; {@code --vs-c} also runs the
 * same loop from a C program compiled on the spot and prints the ratio.
 */
@Command(name = "kvm-exit", mixinStandardHelpOptions = true,
        description = "Measure the cost of a port-I/O exit round trip under KVM.")
final class BenchKvmExit implements Callable<Integer> {
    @Option(names = "--exits", defaultValue = "200000", paramLabel = "N", description = "Exits to measure (default ${DEFAULT-VALUE}).")
    long exits;

    @Option(names = "--vs-c", description = "Also run the C reference loop (needs gcc) and print the ratio.")
    boolean vsC;

    @Override
    public Integer call() {
        if (exits < 1 || exits > KvmExitBench.MAX_EXITS) {
            throw new IllegalArgumentException("--exits must be between 1 and " + KvmExitBench.MAX_EXITS);
        }
        KvmExitBench.run(exits, vsC, System.out);
        return 0;
    }
}
