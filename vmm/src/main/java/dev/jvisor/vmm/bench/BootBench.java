package dev.jvisor.vmm.bench;

import dev.jvisor.emu.EmuVcpu;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The boot benchmark: how long a kernel takes from VM start until its console prints a marker line
 * (the default image's {@code /init} prints {@code jvisor-init: ready}), and how many guest
 * instructions the emulator executed on the way; optionally the same boot under QEMU (TCG) in the
 * same run, as the reference.
 */
public final class BootBench {
    /** One measured boot. */
    public record Result(double seconds, long instructions, double vcpuCpuSeconds) {
        public double mips() {
            return instructions / seconds / 1e6;
        }
    }

    private BootBench() {
    }

    /** Boots {@code config} on {@code hypervisor} until {@code marker}; the VM is stopped afterwards. */
    public static Result jvisor(VmConfig config, Hypervisor hypervisor, String marker, long timeoutSeconds,
                                OutputStream echo) throws VmException, InterruptedException {
        LineWatcher console = new LineWatcher(marker, echo);
        try (VirtualMachine vm = MachineBuilder.build(config, hypervisor, console)) {
            long start = System.nanoTime();
            vm.start();
            Long seenAt;
            try {
                seenAt = console.seen().get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                ExitReason r = vm.awaitExit(1, TimeUnit.MILLISECONDS);
                throw new VmException("the guest did not print '" + marker + "' within " + timeoutSeconds + " s"
                        + (r != null ? " (" + r.describe() + ")" : "") + "; last console output:\n" + console.tail());
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
            double cpu = vm.vcpuCpuNanos() / 1e9;
            vm.stop(new ExitReason.Stopped("benchmark"));
            long instructions = 0;
            for (Vcpu v : vm.vm().vcpus()) {
                if (v instanceof EmuVcpu e) {
                    instructions += e.instructions();
                }
            }
            return new Result((seenAt - start) / 1e9, instructions, cpu);
        }
    }

    /**
     * Boots the same kernel under {@code qemu-system-x86_64} with TCG until {@code marker}; the wall
     * time includes QEMU's firmware (SeaBIOS), as a user of QEMU would see it.
     */
    public static Result qemu(Path kernel, Path initrd, String cmdline, long memoryBytes, int cpus, String marker,
                              long timeoutSeconds) throws VmException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64",
                "-m", Long.toString(memoryBytes >> 20), "-smp", Integer.toString(cpus), "-nographic", "-no-reboot",
                "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", cmdline));
        Process p;
        long start = System.nanoTime();
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new VmException("cannot run qemu-system-x86_64 (install the qemu-system-x86 package): "
                    + e.getMessage());
        }
        LineWatcher console = new LineWatcher(marker, null);
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[4096];
                int n;
                while ((n = in.read(buf)) > 0) {
                    console.write(buf, 0, n);
                }
            } catch (IOException e) {
                // QEMU ended
            }
        });
        try {
            long seenAt = console.seen().get(timeoutSeconds, TimeUnit.SECONDS);
            return new Result((seenAt - start) / 1e9, 0, 0);
        } catch (TimeoutException e) {
            throw new VmException("QEMU did not print '" + marker + "' within " + timeoutSeconds + " s; last output:\n"
                    + console.tail());
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            reader.join(1000);
        }
    }
}
