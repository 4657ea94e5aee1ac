package dev.jvisor.vmm;

import dev.jvisor.devices.Bus;
import dev.jvisor.devices.BusVmOps;
import dev.jvisor.devices.testing.DebugExitDevice;
import dev.jvisor.hypervisor.Hypervisor;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.Vm;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.io.net.SwitchRegistry;
import dev.jvisor.machine.MemoryMap;
import dev.jvisor.machine.PlatformLayout;
import dev.jvisor.machine.PlatformTables;
import dev.jvisor.machine.boot.BootOptions;
import dev.jvisor.machine.boot.BootSetup;
import dev.jvisor.machine.boot.KernelLoadException;
import dev.jvisor.machine.boot.KernelLoader;
import dev.jvisor.memory.GuestMemory;
import java.io.OutputStream;

/**
 * Builds a {@link VirtualMachine} from a {@link VmConfig}: guest memory laid out by the
 * {@link MemoryMap}, a back-end VM, the board's devices, the virtio devices of its drives and
 * network interfaces (see {@link VirtioDevices}), the firmware tables and the loaded kernel, with
 * vCPU 0 set to the kernel's entry state. Every step that can fail on user input fails with a
 * {@link VmException} whose message says what to fix, and releases what was built so far.
 */
public final class MachineBuilder {
    private MachineBuilder() {
    }

    /**
     * Builds a VM whose {@code switch=NAME} interfaces (if any) are on switches of its own. A process
     * that runs several VMs which should share switches passes one {@link SwitchRegistry} to
     * {@link #build(VmConfig, Hypervisor, OutputStream, SwitchRegistry)} instead.
     */
    public static VirtualMachine build(VmConfig config, Hypervisor hypervisor, OutputStream serialOut)
            throws VmException {
        return build(config, hypervisor, serialOut, new SwitchRegistry());
    }

    /**
     * Builds the VM of {@code config} on {@code hypervisor}, its COM1 writing to {@code serialOut}.
     * Drives and network back ends are opened first, so a missing, corrupt or locked image (or a
     * back end that cannot start) fails before any guest memory or back-end VM exists.
     *
     * @param switches the process's named switches, shared by VMs that name the same switch
     */
    public static VirtualMachine build(VmConfig config, Hypervisor hypervisor, OutputStream serialOut,
                                       SwitchRegistry switches) throws VmException {
        if (config.vcpus() < 1 || config.vcpus() > PlatformLayout.MAX_VCPUS) {
            throw new VmException("--cpus must be between 1 and " + PlatformLayout.MAX_VCPUS + ", got " + config.vcpus());
        }
        MemoryMap map;
        try {
            map = MemoryMap.forRam(config.memoryBytes());
        } catch (IllegalArgumentException e) {
            throw new VmException("--mem: " + e.getMessage());
        }
        VirtioDevices virtio = VirtioDevices.open(config, switches);
        GuestMemory memory;
        try {
            memory = GuestMemory.create(map.ramLayouts());
        } catch (OutOfMemoryError e) {
            virtio.close();
            throw new VmException("cannot reserve " + MemoryMap.describeSize(config.memoryBytes())
                    + " of guest memory on this host: " + e.getMessage());
        }
        Bus ports = Bus.portSpace();
        Bus mmio = Bus.mmioSpace();
        BusVmOps ops = new BusVmOps(ports, mmio);
        VirtualMachine machine = new VirtualMachine(hypervisor.name(), memory, ops);
        Vm vm = null;
        LegacyDevices devices = null;
        try {
            vm = hypervisor.createVm(new VmSpec(memory, config.vcpus(), ops));
            devices = new LegacyDevices(vm, map, ports, mmio, serialOut, machine);
            machine.attach(vm, devices, virtio);
            virtio.attach(devices.pci, memory, vm.interrupts());
            long rsdp = PlatformTables.install(memory, map, config.vcpus(), true);
            for (DebugExitConfig d : config.debugExits()) {
                ports.register("debug-exit", d.ioBase(), d.ioSize(),
                        new DebugExitDevice(value -> machine.stop(new ExitReason.DebugExit(value))));
            }
            BootSetup boot = KernelLoader.load(config.kernel(), config.initrd(), config.cmdline(), memory, map,
                    new BootOptions(rsdp, config.modules()));
            for (Vcpu v : vm.vcpus()) {
                FirmwareSetup.apply(v);
            }
            Vcpu bsp = vm.vcpus().getFirst();
            bsp.setSystemRegisters(boot.systemRegisters());
            bsp.setRegisters(boot.registers());
            return machine;
        } catch (KernelLoadException e) {
            cleanUp(machine, vm, devices, virtio, memory);
            throw new VmException(e.getMessage(), e);
        } catch (HypervisorException | IllegalArgumentException | IllegalStateException e) {
            cleanUp(machine, vm, devices, virtio, memory);
            throw new VmException(e.getMessage(), e);
        }
    }

    private static void cleanUp(VirtualMachine machine, Vm vm, LegacyDevices devices, VirtioDevices virtio,
                                GuestMemory memory) {
        if (vm != null && devices != null) {
            machine.close(); // closes virtio too
            return;
        }
        virtio.close();
        if (devices != null) {
            devices.close();
        }
        if (vm != null) {
            vm.close();
        }
        memory.close();
    }
}
