package dev.jvisor.cli;

import dev.jvisor.server.firecracker.FirecrackerApi;
import dev.jvisor.server.http.HttpServer;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jvisor firecracker --api-sock PATH}: serves Firecracker's API for one VM on a Unix socket,
 * with the guest's serial console on stdout (and stdin typed into it), and exits when the guest does.
 */
@Command(name = "firecracker", mixinStandardHelpOptions = true,
        description = {"Serve Firecracker's REST API for one microVM (PUT /boot-source, /machine-config,",
                "/drives/{id}, /network-interfaces/{id}, /actions, ...); the serial console is on stdout.",
                "Exit status as for 'jvisor run' once the guest stops."})
final class FirecrackerCommand implements Callable<Integer> {
    @Option(names = "--api-sock", required = true, paramLabel = "PATH", description = "The API socket to create.")
    Path apiSock;

    @Option(names = "--accel", paramLabel = "kvm|emu|auto", defaultValue = "auto", description = "Back end (default ${DEFAULT-VALUE}).")
    String accel;

    @Override
    public Integer call() throws Exception {
        VmConfig.Accel acc;
        try {
            acc = VmConfig.Accel.parse(accel);
        } catch (IllegalArgumentException e) {
            throw new VmException(e.getMessage());
        }
        try (SerialConsole.Output out = new SerialConsole.Output();
             FirecrackerApi api = new FirecrackerApi(out, acc);
             HttpServer server = new HttpServer(api)) {
            try {
                server.listenUnix(apiSock);
            } catch (IOException e) {
                throw new VmException("cannot listen on " + apiSock + ": " + e.getMessage());
            }
            Thread.ofPlatform().daemon().name("console-input").start(() -> pumpStdin(api));
            ExitReason reason = api.exit().get();
            out.flush();
            System.err.println("jvisor: " + reason.describe());
            return reason.exitStatus();
        }
    }

    /** Types stdin into the guest's UART once it runs (Firecracker's serial input). */
    private static void pumpStdin(FirecrackerApi api) {
        byte[] buf = new byte[256];
        try {
            for (int n; (n = System.in.read(buf)) > 0; ) {
                VirtualMachine vm = api.machine();
                if (vm != null) {
                    vm.console().enqueueInput(java.util.Arrays.copyOf(buf, n));
                }
            }
        } catch (IOException e) {
            // stdin closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
