package dev.jvisor.server.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each tiny kernel does what it says on the emulator (the back end every host has). */
class TinyKernelsTest {
    @TempDir
    Path dir;

    private ExitReason run(TinyKernels.Ending ending, ByteArrayOutputStream console) throws Exception {
        Path k = dir.resolve(ending + ".elf");
        Files.write(k, TinyKernels.kernel("hi", ending));
        VmConfig config = new VmConfig(k, Optional.empty(), "", 16 << 20, 1, VmConfig.Accel.EMU).withRng(false);
        try (VirtualMachine vm = MachineBuilder.build(config, new EmuHypervisor(), console)) {
            vm.start();
            ExitReason r = vm.awaitExit(300, TimeUnit.MILLISECONDS);
            if (r == null) {
                vm.stop(new ExitReason.Stopped("test"));
                return null;
            }
            return r;
        }
    }

    @Test
    void powerOffPrintsThenPowersOff() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(run(TinyKernels.Ending.POWER_OFF, out)).isInstanceOf(ExitReason.PowerOff.class);
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
    }

    @Test
    void tripleFaultShutsTheCpuDown() throws Exception {
        assertThat(run(TinyKernels.Ending.TRIPLE_FAULT, new ByteArrayOutputStream()))
                .isInstanceOf(ExitReason.GuestShutdown.class);
    }

    @Test
    void resetAsksForAReset() throws Exception {
        assertThat(run(TinyKernels.Ending.RESET, new ByteArrayOutputStream())).isInstanceOf(ExitReason.Reset.class);
    }

    @Test
    void haltIdleAndSpinKeepRunning() throws Exception {
        assertThat(run(TinyKernels.Ending.HALT, new ByteArrayOutputStream())).isNull();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(run(TinyKernels.Ending.IDLE, out)).isNull();
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
        assertThat(run(TinyKernels.Ending.SPIN, new ByteArrayOutputStream())).isNull();
    }
}
