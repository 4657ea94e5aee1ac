package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.hypervisor.Hypervisor;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The QEMU-compatible debug-exit device through the whole machine: test kernels end the VM with a
 * status of their choice on each back end, and a kernel that crashes instead gets jvisor's own.
 */
class DebugExitTest {
    @TempDir
    Path dir;

    private ExitReason boot(String accel, byte[] kernelImage, List<DebugExitConfig> exits) throws Exception {
        Path kernel = dir.resolve("kernel.elf");
        Files.write(kernel, kernelImage);
        VmConfig config = new VmConfig(kernel, Optional.empty(), "", 32 << 20, 1,
                VmConfig.Accel.valueOf(accel.toUpperCase())).withDebugExits(exits);
        try (Hypervisor hv = MultibootBootTest.backend(accel);
             VirtualMachine vm = MachineBuilder.build(config, hv, new ByteArrayOutputStream())) {
            vm.start();
            ExitReason reason = vm.awaitExit(60, TimeUnit.SECONDS);
            assertThat(reason).as("the guest finished").isNotNull();
            return reason;
        }
    }

    @ParameterizedTest(name = "{0}: write {1} at 0x{2} -> status {3}")
    @CsvSource({"emu, 0, f4, 1", "emu, 1, f4, 3", "kvm, 0, f4, 1", "kvm, 1, f4, 3", "emu, 0x41, 501, 131"})
    void theGuestChoosesTheExitStatus(String accel, String value, String port, int status) throws Exception {
        int v = Integer.decode(value);
        int p = Integer.parseInt(port, 16);
        ExitReason reason = boot(accel, TestKernels.debugExit(p, v), List.of(new DebugExitConfig(p, 2)));
        assertThat(reason).isEqualTo(new ExitReason.DebugExit(v));
        assertThat(reason.exitStatus()).isEqualTo(status);
        assertThat(reason.describe()).contains("debug-exit");
    }

    @ParameterizedTest
    @ValueSource(strings = {"emu", "kvm"})
    void aKernelThatTripleFaultsEndsWithJvisorsOwnStatus(String accel) throws Exception {
        ExitReason reason = boot(accel, TestKernels.tripleFault(), List.of(DebugExitConfig.standard()));
        assertThat(reason).isInstanceOf(ExitReason.GuestShutdown.class);
        assertThat(reason.exitStatus()).isEqualTo(4);
    }

    @Test
    void withoutTheDeviceTheWriteGoesNowhere() throws Exception {
        ExitReason reason = boot("emu", TestKernels.debugExit(0xf4, 1), List.of());
        assertThat(reason).isEqualTo(new ExitReason.PowerOff()); // the kernel's fallback
    }

    @Test
    void aDeviceOverlappingABoardDeviceIsRefusedBeforeBoot() throws Exception {
        Path kernel = dir.resolve("kernel.elf");
        Files.write(kernel, TestKernels.debugExit(0xf4, 1));
        VmConfig config = new VmConfig(kernel, Optional.empty(), "", 32 << 20, 1, VmConfig.Accel.EMU)
                .withDebugExits(List.of(new DebugExitConfig(0x3f8, 4)));
        try (Hypervisor hv = MultibootBootTest.backend("emu")) {
            assertThatThrownBy(() -> MachineBuilder.build(config, hv, new ByteArrayOutputStream()))
                    .isInstanceOf(VmException.class).hasMessageContaining("debug-exit").hasMessageContaining("com1");
        }
    }

    @Test
    void optionsParseLikeQemusProperties() {
        assertThat(DebugExitConfig.parse("debug-exit")).isEqualTo(new DebugExitConfig(0xf4, 4));
        assertThat(DebugExitConfig.parse("debug-exit,iobase=0x501,iosize=2")).isEqualTo(new DebugExitConfig(0x501, 2));
        assertThat(DebugExitConfig.parse("debug-exit,iobase=244")).isEqualTo(new DebugExitConfig(0xf4, 4));
        assertThatThrownBy(() -> DebugExitConfig.parse("isa-serial")).hasMessageContaining("unknown device");
        assertThatThrownBy(() -> DebugExitConfig.parse("debug-exit,iobase=zz")).hasMessageContaining("not a number");
        assertThatThrownBy(() -> DebugExitConfig.parse("debug-exit,iosize=0")).hasMessageContaining("iosize");
        assertThatThrownBy(() -> DebugExitConfig.parse("debug-exit,iobase=0xfffe")).hasMessageContaining("port space");
        assertThatThrownBy(() -> DebugExitConfig.parse("debug-exit,speed=9")).hasMessageContaining("unknown option");
    }

    @Test
    void moduleArgumentsSplitAtTheFirstSingleComma() throws Exception {
        Path file = dir.resolve("a,b.bin");
        Files.write(file, new byte[1]);
        String escaped = file.toString().replace(",", ",,");
        assertThat(ModuleArguments.parse(escaped).path()).isEqualTo(file);
        assertThat(ModuleArguments.parse(escaped).cmdline()).isEqualTo("a,b.bin");
        assertThat(ModuleArguments.parse(escaped + ",x=1,y=2").cmdline()).isEqualTo("x=1,y=2");
        assertThat(ModuleArguments.parse(escaped + ",").cmdline()).isEmpty();
        assertThatThrownBy(() -> ModuleArguments.parse(dir.resolve("missing").toString()))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ModuleArguments.parse(",x")).hasMessageContaining("names no file");
    }
}
