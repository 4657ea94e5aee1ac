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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End to end through the whole machine: a Multiboot kernel assembled by the test is loaded with
 * modules and a command line, reports them and its memory map over COM1 and powers off through
 * ACPI, on each back end.
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

    @ParameterizedTest
    @ValueSource(strings = {"emu", "kvm"})
    void severalModulesArriveInOrderWithTheirStringsAndTheMemoryMapIsReported(String accel) throws Exception {
        Path kernel = dir.resolve("kernel.elf");
        Files.write(kernel, TestKernels.multibootReporter());
        Path initrd = dir.resolve("initrd.img");
        Files.write(initrd, new byte[]{0x11, 0});
        Path second = dir.resolve("second.bin");
        Files.write(second, new byte[5000]);
        Files.write(second, new byte[]{0x22}, java.nio.file.StandardOpenOption.WRITE);
        Path third = dir.resolve("third,odd.bin");
        Files.write(third, new byte[]{0x33, 3, 3});
        VmConfig config = new VmConfig(kernel, Optional.of(initrd), "root=/dev/null quiet", 64 << 20, 1,
                VmConfig.Accel.valueOf(accel.toUpperCase()))
                .withModules(List.of(ModuleArguments.parse(second.toString()),
                        ModuleArguments.parse(third.toString().replace(",", ",,") + ",third module, with a comma")));
        ByteArrayOutputStream serial = new ByteArrayOutputStream();
        try (Hypervisor hv = backend(accel); VirtualMachine vm = MachineBuilder.build(config, hv, serial)) {
            vm.start();
            assertThat(vm.awaitExit(60, TimeUnit.SECONDS)).isEqualTo(new ExitReason.PowerOff());
        }
        List<String> lines = serial.toString(StandardCharsets.ISO_8859_1).lines().toList();
        assertThat(lines).startsWith("cmd=root=/dev/null quiet",
                "m=initrd.img 00000002 00000011",
                "m=second.bin 00001388 00000022",
                "m=third module, with a comma 00000003 00000033");
        // The e820 map as Multiboot entries: low RAM from 0 (type 1), and RAM from 1 MiB up to the
        // end of the 64 MiB, with reserved areas in between.
        List<String> map = lines.stream().filter(l -> l.startsWith("e=")).toList();
        assertThat(map).first().asString().startsWith("e=00000000 ").endsWith(" 00000001");
        assertThat(map).anySatisfy(l -> assertThat(l).endsWith(" 00000001").startsWith("e=00100000 "));
        assertThat(map).anySatisfy(l -> assertThat(l).endsWith(" 00000002"));
        long ramEnd = map.stream().filter(l -> l.endsWith(" 00000001")).mapToLong(l -> {
            String[] f = l.substring(2).split(" ");
            return Long.parseLong(f[0], 16) + Long.parseLong(f[1], 16);
        }).max().orElseThrow();
        assertThat(ramEnd).isEqualTo(64L << 20);
    }
}
