package dev.jvisor.vmm.bench;

import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.io.net.SwitchRegistry;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One running {@link ScriptedGuest} for a benchmark: the VM with a {@link ConsoleMarkers} console
 * whose samples include the VM's vCPU CPU time. {@link #await} waits for a marker line and fails
 * early, with the console's tail, if the script or the VM ends first.
 */
final class BenchGuest implements AutoCloseable {
    private static final String SCRIPT_EXIT = "jvisor-init: " + ScriptedGuest.SCRIPT + " exited with status";

    private final ConsoleMarkers console;
    private final VirtualMachine vm;
    private final CompletableFuture<ConsoleMarkers.Seen> scriptExit;

    BenchGuest(VmConfig config, Hypervisor hypervisor, OutputStream echo) throws VmException {
        VirtualMachine[] holder = new VirtualMachine[1];
        this.console = new ConsoleMarkers(echo, () -> new HostSample(System.nanoTime(), HostSample.currentProcessCpuNanos(),
                holder[0] == null ? 0 : holder[0].vcpuCpuNanos()));
        this.scriptExit = console.expect(SCRIPT_EXIT);
        this.vm = MachineBuilder.build(config, hypervisor, console, new SwitchRegistry());
        holder[0] = vm;
    }

    /** The host's clocks now (with this VM's vCPU time). */
    HostSample sample() {
        return new HostSample(System.nanoTime(), HostSample.currentProcessCpuNanos(), vm.vcpuCpuNanos());
    }

    VirtualMachine vm() {
        return vm;
    }

    /** Registers {@code prefix} (call before the guest can print it) . */
    void expect(String prefix) {
        console.expect(prefix);
    }

    void start() {
        vm.start();
    }

    /** The host sample taken when the line starting with {@code prefix} appeared. */
    ConsoleMarkers.Seen await(String prefix, long timeoutSeconds) throws IOException, InterruptedException {
        CompletableFuture<ConsoleMarkers.Seen> wanted = console.expect(prefix);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            try {
                return wanted.get(200, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // look at why it may never come
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IOException(e.getCause());
            }
            if (scriptExit.isDone()) {
                throw new IOException("the benchmark script ended before '" + prefix + "' ("
                        + scriptExit.join().line() + "); last console output:\n" + console.tail());
            }
            ExitReason r = vm.awaitExit(0, TimeUnit.MILLISECONDS);
            if (r != null) {
                throw new IOException("the VM stopped before '" + prefix + "': " + r.describe()
                        + "; last console output:\n" + console.tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the guest did not print '" + prefix + "' within " + timeoutSeconds
                        + " s; last console output:\n" + console.tail());
            }
        }
    }

    /** Waits for the script to end and the guest to power off; returns the script's exit status. */
    int awaitPowerOff(long timeoutSeconds) throws IOException, InterruptedException {
        ExitReason r = vm.awaitExit(timeoutSeconds, TimeUnit.SECONDS);
        if (!(r instanceof ExitReason.PowerOff)) {
            throw new IOException("the guest did not power off: " + (r == null ? "still running" : r.describe())
                    + "; last console output:\n" + console.tail());
        }
        String line = scriptExit.getNow(null) == null ? null : scriptExit.join().line();
        if (line == null) {
            throw new IOException("the guest powered off without finishing its script; last console output:\n" + console.tail());
        }
        return Integer.parseInt(line.substring(SCRIPT_EXIT.length()).trim());
    }

    @Override
    public void close() {
        vm.close();
    }
}
