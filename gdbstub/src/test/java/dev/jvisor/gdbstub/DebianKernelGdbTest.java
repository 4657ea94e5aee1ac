package dev.jvisor.gdbstub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.emu.disasm.SymbolTable;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Debian kernel under the real gdb, on the emulator: the kernel's function addresses come
 * from its own kallsyms table (the package has no System.map), KASLR is off, and gdb stops at
 * {@code start_kernel}, steps, and reads {@code linux_banner} through the kernel's page tables.
 */
@Tag("slow")
class DebianKernelGdbTest {
    @TempDir
    Path dir;

    @Test
    void gdbBreaksInStartKernelAndReadsTheBanner() throws Exception {
        GdbBatch.assumeGdb();
        DefaultImage image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> { });
        SymbolTable symbols = SymbolTable.load(image.kernel());
        long startKernel = symbols.addressOf("start_kernel").orElseThrow();
        long banner = symbols.addressOf("linux_banner").orElseThrow();
        VmConfig config = new VmConfig(image.kernel(), Optional.of(image.initrd()), image.cmdline() + " nokaslr",
                256L << 20, 1, VmConfig.Accel.EMU);
        try (EmuHypervisor hv = new EmuHypervisor();
             VirtualMachine vm = MachineBuilder.build(config, hv, new ByteArrayOutputStream());
             GdbServer server = GdbServer.start(vm, GdbAddress.parse("tcp:127.0.0.1:0"), true)) {
            vm.start();
            String out = GdbBatch.run(dir, null, List.of(
                    "set pagination off",
                    "set confirm off",
                    "target remote 127.0.0.1:" + server.address().getPort(),
                    "break *0x" + Long.toHexString(startKernel),
                    "continue",
                    "printf \"RIP=%lx\\n\", $rip",
                    "printf \"RSP0=%lx\\n\", $rsp",
                    "x/i $pc",
                    "stepi",
                    "printf \"STEP=%lx\\n\", $rip",
                    "printf \"RSP1=%lx\\n\", $rsp",
                    "printf \"TOP=%lx\\n\", *(long *) $rsp",
                    "printf \"BANNER:%s\\n\", (char *) 0x" + Long.toHexString(banner),
                    "kill"), 600);
            assertThat(GdbBatch.value(out, "RIP")).isEqualTo(startKernel);
            long step = GdbBatch.value(out, "STEP");
            if (out.contains("call")) {
                // start_kernel opens with a call (the ftrace hook, not yet patched out): the step
                // enters it, pushing the address of the next instruction.
                assertThat(GdbBatch.value(out, "RSP1")).isEqualTo(GdbBatch.value(out, "RSP0") - 8);
                assertThat(GdbBatch.value(out, "TOP")).isEqualTo(startKernel + 5);
                assertThat(step).isNotEqualTo(startKernel);
            } else {
                assertThat(step).isGreaterThan(startKernel).isLessThan(startKernel + 16);
            }
            assertThat(out).contains("BANNER:Linux version 6.1");
            assertThat(vm.awaitExit(60, TimeUnit.SECONDS)).isInstanceOf(ExitReason.Stopped.class);
        }
    }
}
