package dev.jvisor.vmm.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.TraceKernelAccess;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --trace} on a tiny guest: the line format of every mode, symbols, filters and errors. */
class TracingTest {
    @TempDir
    Path dir;

    private List<String> trace(String modes, boolean withSymbols) throws Exception {
        TraceKernelAccess.Target t = TraceKernelAccess.target();
        Path kernel = dir.resolve("kernel.elf");
        Files.write(kernel, t.elf());
        Path map = dir.resolve("System.map");
        Files.writeString(map, String.format("%016x T _start%n%016x T work%n%016x t after_work%n", t.entry(), t.work(),
                t.workEnd()));
        Path file = dir.resolve("trace.txt");
        TraceConfig config = TraceConfig.parse(modes, withSymbols ? Optional.of(map) : Optional.empty(), Optional.of(file));
        VmConfig vmConfig = new VmConfig(kernel, Optional.empty(), "", 32 << 20, 1, VmConfig.Accel.EMU);
        try (Hypervisor hv = new EmuHypervisor();
             VirtualMachine vm = MachineBuilder.build(vmConfig, hv, new ByteArrayOutputStream())) {
            try (Tracing tracing = Tracing.install(vm, config)) {
                vm.start();
                assertThat(vm.awaitExit(60, TimeUnit.SECONDS)).isInstanceOf(ExitReason.GuestShutdown.class);
            }
        }
        return Files.readAllLines(file);
    }

    @Test
    void everyModeWritesItsLinesWithSymbols() throws Exception {
        TraceKernelAccess.Target t = TraceKernelAccess.target();
        List<String> lines = trace("all", true);
        assertThat(lines).contains(String.format("cpu0 insn 0x%016x <_start>: mov    $0x90000,%%esp", t.entry()));
        assertThat(lines).contains(String.format("cpu0 insn 0x%016x <_start+0x5>: call   0x%x <work>", t.entry() + 5,
                t.work()));
        assertThat(lines).contains(String.format("cpu0 insn 0x%016x <work>: mov    $0x3f8,%%edx", t.work()));
        assertThat(lines).contains("cpu0 io   out port 0x3f8 size 1 value 0x54");
        assertThat(lines).anyMatch(l -> l.startsWith("cpu0 mmio read 0xfee00030 size 4 value 0x"));
        assertThat(lines).anyMatch(l -> l.matches("cpu0 exc  vector 6 error none rip 0x0+1[0-9a-f]{5} <_start\\+0x[0-9a-f]+> cr2 0x0"));
        assertThat(lines).allMatch(l -> l.startsWith("cpu0 "));
    }

    @Test
    void aSymbolFilterKeepsOnlyThatFunctionsInstructions() throws Exception {
        TraceKernelAccess.Target t = TraceKernelAccess.target();
        List<String> lines = trace("insn=work,io", true);
        List<String> insns = lines.stream().filter(l -> l.startsWith("cpu0 insn")).toList();
        assertThat(insns).hasSize(4); // mov edx, mov al, out, ret
        assertThat(insns).allMatch(l -> l.contains("<work"));
        assertThat(insns.getLast()).endsWith(": ret");
        assertThat(lines).contains("cpu0 io   out port 0x3f8 size 1 value 0x54");
        assertThat(lines).noneMatch(l -> l.contains(" exc ") || l.contains(" mmio "));
    }

    @Test
    void anAddressRangeFilterWorksWithoutSymbols() throws Exception {
        TraceKernelAccess.Target t = TraceKernelAccess.target();
        List<String> lines = trace(String.format("insn=%x-%x", t.work(), t.work() + 5), false);
        assertThat(lines).containsExactly(String.format("cpu0 insn 0x%016x: mov    $0x3f8,%%edx", t.work()));
    }

    @Test
    void badSettingsAreClearErrors() throws Exception {
        assertThatThrownBy(() -> TraceConfig.parse("insn,bogus", Optional.empty(), Optional.empty()))
                .hasMessageContaining("unknown mode 'bogus'");
        assertThatThrownBy(() -> TraceConfig.parse("insn=work", Optional.empty(), Optional.empty()))
                .hasMessageContaining("--symbols");
        assertThatThrownBy(() -> TraceConfig.parse("io=3", Optional.empty(), Optional.empty()))
                .hasMessageContaining("only insn takes a filter");
        assertThatThrownBy(() -> TraceConfig.parse("insn=20-10", Optional.empty(), Optional.empty()))
                .hasMessageContaining("empty range");
        assertThatThrownBy(() -> TraceConfig.parse("", Optional.empty(), Optional.empty())).hasMessageContaining("needs");

        TraceKernelAccess.Target t = TraceKernelAccess.target();
        Path kernel = dir.resolve("k.elf");
        Files.write(kernel, t.elf());
        Path map = dir.resolve("System.map");
        Files.writeString(map, "00100000 T _start\n");
        VmConfig vmConfig = new VmConfig(kernel, Optional.empty(), "", 32 << 20, 1, VmConfig.Accel.EMU);
        try (Hypervisor hv = new EmuHypervisor();
             VirtualMachine vm = MachineBuilder.build(vmConfig, hv, new ByteArrayOutputStream())) {
            assertThatThrownBy(() -> Tracing.install(vm, TraceConfig.parse("insn=nothere", Optional.of(map), Optional.empty())))
                    .isInstanceOf(VmException.class).hasMessageContaining("no such symbol");
            assertThatThrownBy(() -> Tracing.install(vm, TraceConfig.parse("insn", Optional.of(dir.resolve("missing")),
                    Optional.empty()))).isInstanceOf(VmException.class).hasMessageContaining("--symbols");
            assertThatThrownBy(() -> Tracing.install(vm, TraceConfig.parse("insn", Optional.empty(),
                    Optional.of(dir.resolve("no/such/dir/trace.txt"))))).isInstanceOf(VmException.class)
                    .hasMessageContaining("--trace-file");
        }
    }
}
