package dev.jvisor.cli;

import picocli.CommandLine.Command;

/** {@code jvisor bench}: benchmarks that print figures (never timed assertions in tests). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark and print its figures.",
        subcommands = {BenchKvmExit.class, BenchBoot.class, BenchBlk.class, BenchNet.class, BenchLifecycle.class})
final class BenchCommand {
}
