package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.images.InitScript;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The stock Debian kernel (linux-image-cloud-amd64, 6.1) with the default busybox initramfs boots on
 * the emulator to an interactive shell, and the commands a user would try work through the serial
 * console: the end-to-end proof of the emulator back end.
 */
@Tag("slow")
class LinuxBootTest {
    @Test
    void debianKernelBootsToAShellOnTheEmulatorAndRunsCommands() throws Exception {
        DefaultImage image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> { });
        VmConfig config = new VmConfig(image.kernel(), Optional.of(image.initrd()), image.cmdline(), 256L << 20, 1,
                VmConfig.Accel.EMU);
        GuestConsole console = new GuestConsole();
        try (EmuHypervisor hv = new EmuHypervisor(); VirtualMachine vm = MachineBuilder.build(config, hv, console)) {
            console.attach(vm);
            vm.start();
            console.waitFor(InitScript.READY_LINE, 300, TimeUnit.SECONDS);
            console.waitFor("# ", 60, TimeUnit.SECONDS);

            assertThat(console.run("ls /", 60)).contains("bin", "proc", "sys", "dev", "init");
            assertThat(console.run("cat /proc/cpuinfo", 60))
                    .contains("jvisor x86-64 emulated CPU", "sse2", "flags", "processor\t: 0");
            assertThat(console.run("dmesg | head -n 3", 60)).contains("Linux version 6.1");
            assertThat(console.run("mount", 60)).contains("proc on /proc type proc", "sysfs on /sys type sysfs");
            assertThat(console.run("ps", 60)).contains("/init", "ps");
            assertThat(console.run("echo hello | sha256sum", 60))
                    .contains("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
            assertThat(console.run("awk 'BEGIN { s = 0; for (i = 1; i <= 100; i++) s += i * i; print s / 5 }'", 60))
                    .contains("67670");

            // The guest's wall clock comes from the RTC: it must agree with the host's.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b(\\d{9,})\\b")
                    .matcher(console.run("date +%s", 60));
            assertThat(m.find()).as("date +%s printed a number").isTrue();
            assertThat(Long.parseLong(m.group(1))).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(120L));

            // sleep 1 takes about one second of real time (virtual time follows the host's clock).
            long t0 = System.nanoTime();
            console.run("sleep 1", 60);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(seconds).isBetween(0.95, 15.0);

            console.type("poweroff -f");
            assertThat(vm.awaitExit(120, TimeUnit.SECONDS)).isEqualTo(new ExitReason.PowerOff());
        }
    }

    @Test
    void twoVcpusComeOnlineAndShareWork() throws Exception {
        DefaultImage image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> { });
        VmConfig config = new VmConfig(image.kernel(), Optional.of(image.initrd()), image.cmdline(), 256L << 20, 2,
                VmConfig.Accel.EMU);
        GuestConsole console = new GuestConsole();
        try (EmuHypervisor hv = new EmuHypervisor(); VirtualMachine vm = MachineBuilder.build(config, hv, console)) {
            console.attach(vm);
            vm.start();
            console.waitFor(InitScript.READY_LINE, 300, TimeUnit.SECONDS);
            console.waitFor("# ", 60, TimeUnit.SECONDS);
            assertThat(console.run("cat /sys/devices/system/cpu/online; nproc", 60)).contains("0-1", "2");
            // Two busy processes at once, each pinned by the scheduler wherever it likes; both must
            // finish with the right answer (exercises IPIs, TLB shootdowns and locked instructions).
            assertThat(console.run("(yes | head -c 300000 | sha256sum > /tmp/a) & (yes | head -c 300000 "
                    + "| sha256sum > /tmp/b) & wait; cat /tmp/a /tmp/b", 240))
                    .containsPattern("([0-9a-f]{64})  -\\s+\\1  -");
            console.type("poweroff -f");
            assertThat(vm.awaitExit(120, TimeUnit.SECONDS)).isEqualTo(new ExitReason.PowerOff());
        }
    }

    @Test
    void rebootEndsTheVmAsAReset() throws Exception {
        DefaultImage image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> { });
        VmConfig config = new VmConfig(image.kernel(), Optional.of(image.initrd()), image.cmdline(), 256L << 20, 1,
                VmConfig.Accel.EMU);
        GuestConsole console = new GuestConsole();
        try (EmuHypervisor hv = new EmuHypervisor(); VirtualMachine vm = MachineBuilder.build(config, hv, console)) {
            console.attach(vm);
            vm.start();
            console.waitFor(InitScript.READY_LINE, 300, TimeUnit.SECONDS);
            console.waitFor("# ", 60, TimeUnit.SECONDS);
            console.type("reboot -f");
            ExitReason reason = vm.awaitExit(120, TimeUnit.SECONDS);
            assertThat(reason).isInstanceOf(ExitReason.Reset.class);
            assertThat(reason.exitStatus()).isEqualTo(2);
        }
    }
}
