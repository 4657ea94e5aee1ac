package dev.jvisor.cli;

import dev.jvisor.vmm.trace.TraceComparison;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor trace-diff}: where a jvisor boot and a reference (QEMU) boot part ways, from a
 * jvisor instruction trace and QEMU's {@code -singlestep -d exec,nochain} log.
 */
@Command(name = "trace-diff", mixinStandardHelpOptions = true,
        description = {"Find the first instruction where a jvisor trace (--trace insn) and a QEMU exec log differ.",
                "Record the reference with: qemu-system-x86_64 -accel tcg -singlestep -d exec,nochain -D qemu.log ..."})
final class TraceDiffCommand implements Callable<Integer> {
    @Option(names = "--jvisor", required = true, paramLabel = "FILE", description = "jvisor trace (--trace insn --trace-file FILE).")
    Path jvisor;

    @Option(names = "--qemu", required = true, paramLabel = "FILE", description = "QEMU log (-d exec,nochain -D FILE).")
    Path qemu;

    @Option(names = "--from", defaultValue = "0", paramLabel = "HEX", description = "Lowest address compared (hex).")
    String from;

    @Option(names = "--to", defaultValue = "ffffffffffffffff", paramLabel = "HEX", description = "Highest address compared, exclusive (hex).")
    String to;

    @Option(names = "--sync", paramLabel = "HEX", description = "Start at the first occurrence of this address in both.")
    String sync;

    @Option(names = "--lookahead", defaultValue = "20000", paramLabel = "N", description = "How far to look for a resynchronisation point (default ${DEFAULT-VALUE}).")
    int lookahead;

    @Option(names = "--context", defaultValue = "16", paramLabel = "N", description = "jvisor lines shown before the divergence (default ${DEFAULT-VALUE}).")
    int context;

    @Override
    public Integer call() throws Exception {
        for (Path p : new Path[]{jvisor, qemu}) {
            if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("cannot read " + p);
            }
        }
        TraceComparison cmp = new TraceComparison(hex(from, "--from"), hex(to, "--to"),
                sync == null ? -1 : hex(sync, "--sync"), lookahead, context);
        TraceComparison.Result r = cmp.compare(jvisor, qemu);
        if (r.divergence() == null) {
            System.out.printf("no divergence: %d instructions match (%d excursions skipped) until one trace ends%n",
                    r.matched(), r.resyncs());
            return 0;
        }
        TraceComparison.Divergence d = r.divergence();
        System.out.printf("diverged after %d matching instructions (%d excursions skipped):%n", d.matched(), d.resyncs());
        System.out.println("jvisor lines before it:");
        d.context().forEach(l -> System.out.println("  " + l));
        System.out.printf("next in QEMU:   %s%n", d.referenceNext().stream().map(a -> "0x" + Long.toHexString(a))
                .collect(Collectors.joining(" ")));
        System.out.printf("next in jvisor: %s%n", d.jvisorNext().stream().map(a -> "0x" + Long.toHexString(a))
                .collect(Collectors.joining(" ")));
        return 3;
    }

    private static long hex(String s, String option) {
        try {
            return Long.parseUnsignedLong(s.startsWith("0x") ? s.substring(2) : s, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a hexadecimal address, not '" + s + "'");
        }
    }
}
