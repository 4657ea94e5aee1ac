package dev.jvisor.gdbstub;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.kvm.KvmHypervisor;
import dev.jvisor.vmm.DebugExitConfig;
import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.MachineBuilder;
import dev.jvisor.vmm.VirtualMachine;
import dev.jvisor.vmm.VmConfig;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A whole VM running a test kernel, with the GDB stub listening on an ephemeral loopback port. */
record DebuggedMachine(Hypervisor hypervisor, VirtualMachine vm, GdbServer server) implements AutoCloseable {
    static Hypervisor backend(String name) {
        if (name.equals("kvm")) {
            KvmHypervisor kvm = new KvmHypervisor();
            assumeTrue(kvm.availability().present(), kvm.availability().reason());
            return kvm;
        }
        return new EmuHypervisor();
    }

    static DebuggedMachine start(Path dir, String accel, byte[] kernel, boolean waitForDebugger, int cpus)
            throws Exception {
        Path file = dir.resolve("kernel.elf");
        Files.write(file, kernel);
        VmConfig config = new VmConfig(file, Optional.empty(), "", 32 << 20, cpus,
                VmConfig.Accel.valueOf(accel.toUpperCase())).withDebugExits(List.of(DebugExitConfig.standard()));
        Hypervisor hv = backend(accel);
        VirtualMachine vm = MachineBuilder.build(config, hv, new ByteArrayOutputStream());
        GdbServer server = GdbServer.start(vm, GdbAddress.parse("tcp:127.0.0.1:0"), waitForDebugger);
        vm.start();
        return new DebuggedMachine(hv, vm, server);
    }

    int port() {
        return server.address().getPort();
    }

    ExitReason awaitExit() throws InterruptedException {
        return vm.awaitExit(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        try {
            vm.close();
        } finally {
            server.close();
            hypervisor.close();
        }
    }
}
