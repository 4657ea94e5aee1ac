package dev.jvisor.gdbstub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.vmm.ExitReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stock Debian {@code gdb} in batch mode against the long-mode test kernel: it loads the
 * kernel's ELF symbols, connects, breaks on a function by name, checks RIP, steps, reads variables,
 * watches one, lists the vCPUs as threads and runs the guest to its exit status.
 */
class RealGdbTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void gdbPresent() {
        GdbBatch.assumeGdb();
    }

    @ParameterizedTest
    @ValueSource(strings = {"emu", "kvm"})
    void breakStepReadAndRunToTheExit(String accel) throws Exception {
        LongModeKernel.Image k = LongModeKernel.build();
        Path elf = dir.resolve("kernel.elf");
        Files.write(elf, k.elf());
        boolean watch = accel.equals("emu"); // this host's KVM does not fire data breakpoints (KvmDebugTest)
        try (DebuggedMachine m = DebuggedMachine.start(dir, accel, k.elf(), true, 2)) {
            List<String> commands = new java.util.ArrayList<>(List.of(
                    "set pagination off",
                    "set confirm off",
                    "target remote 127.0.0.1:" + m.port(),
                    "info threads",
                    "break tick",
                    "continue",
                    "printf \"RIP=%lx\\n\", $rip",
                    "printf \"TICK=%lx\\n\", (long) &tick",
                    "stepi",
                    "printf \"STEP=%lx\\n\", $rip",
                    "printf \"RAX=%lx\\n\", $rax",
                    "continue",
                    "printf \"COUNTER=%lx\\n\", *(long *) &counter",
                    "printf \"CR3=%lx\\n\", $cr3",
                    "info registers eflags",
                    "delete"));
            if (watch) {
                commands.addAll(List.of(
                        "watch *(long *) &result",
                        "continue",
                        "printf \"RESULT=%lx\\n\", *(long *) &result",
                        "delete"));
            }
            commands.add("continue");
            String out = GdbBatch.run(dir, elf, commands, 120);
            assertThat(out).contains("Thread 1", "Thread 2");
            assertThat(out).containsPattern("Breakpoint 1 at 0x[0-9a-f]+");
            assertThat(out).containsPattern("Breakpoint 1, 0x[0-9a-f]+ in tick \\(\\)");
            assertThat(GdbBatch.value(out, "RIP")).isEqualTo(k.address("tick"));
            assertThat(GdbBatch.value(out, "TICK")).isEqualTo(k.address("tick"));
            assertThat(GdbBatch.value(out, "STEP")).isEqualTo(k.address("tick") + 8); // mov rax, [abs32]: 8 bytes
            assertThat(GdbBatch.value(out, "RAX")).as("counter before the first tick").isZero();
            assertThat(GdbBatch.value(out, "COUNTER")).as("one tick done, second call stopped").isEqualTo(1);
            assertThat(GdbBatch.value(out, "CR3")).isEqualTo(0x70000);
            assertThat(out).containsPattern("eflags +0x[0-9a-f]+ +\\[.*\\]");
            if (watch) {
                assertThat(out).contains("Hardware watchpoint 2: *(long *) &result", "Old value = 101",
                        "New value = 102");
                assertThat(GdbBatch.value(out, "RESULT")).isEqualTo(102);
            }
            assertThat(out).contains("exited with code 07");
            assertThat(m.awaitExit()).isEqualTo(new ExitReason.DebugExit(3));
        }
    }
}
