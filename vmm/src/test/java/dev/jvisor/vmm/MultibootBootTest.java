package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.kvm.KvmHypervisor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End to end through the whole machine: a Multiboot kernel assembled by the test is loaded with a
 * module and a command line, reports both over COM1 and powers off through ACPI, on each back end.
 */
class MultibootBootTest {
    @TempDir
    Path dir;

    static Hypervisor backend(String name) {
        if (name.equals("kvm")) {
            KvmHypervisor kvm = new KvmHypervisor();
            assumeTrue(kvm.availability().present(), kvm.availability().reason());
            return kvm;
        }
        return new EmuHypervisor();
    }

    @ParameterizedTest
    @ValueSource(strings = {"emu", "kvm"})
    void multibootKernelSeesItsCommandLineAndModuleThenPowersOff(String accel) throws Exception {
        Path kernel = dir.resolve("kernel.elf");
        Files.write(kernel, TestKernels.multibootReporter());
        Path module = dir.resolve("module.bin");
        Files.write(module, new byte[]{0x5a, 1, 2, 3, 4, 5, 6});
        VmConfig config = new VmConfig(kernel, Optional.of(module), "hello world", 32 << 20, 1,
                VmConfig.Accel.valueOf(accel.toUpperCase()));
        ByteArrayOutputStream serial = new ByteArrayOutputStream();
        try (Hypervisor hv = backend(accel); VirtualMachine vm = MachineBuilder.build(config, hv, serial)) {
            vm.start();
            ExitReason reason = vm.awaitExit(60, TimeUnit.SECONDS);
            assertThat(reason).isEqualTo(new ExitReason.PowerOff());
        }
        String out = serial.toString(StandardCharsets.ISO_8859_1);
        assertThat(out).startsWith("cmd=hello world\n");
        assertThat(out).contains("m=module.bin 00000007 0000005a\n"); // the module string is the file name
    }
}
