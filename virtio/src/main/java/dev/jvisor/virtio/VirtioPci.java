package dev.jvisor.virtio;

import dev.jvisor.devices.pci.PciBus;
import dev.jvisor.hypervisor.InterruptLines;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.net.NetBackend;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.block.BlockOptions;
import dev.jvisor.virtio.block.VirtioBlock;
import dev.jvisor.virtio.console.VirtioConsole;
import dev.jvisor.virtio.net.NetOptions;
import dev.jvisor.virtio.net.VirtioNet;
import dev.jvisor.virtio.pci.VirtioPciDevice;
import dev.jvisor.virtio.rng.VirtioRng;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Wiring for the VMM: puts virtio devices on a machine's PCI bus, each behind its own
 * {@link VirtioPciDevice}, in the lowest free slot. Names follow the device kind and count
 * ("virtio-blk0", "virtio-net1").
 *
 * <p>{@link #close} stops every device attached through it (reset, threads ended). Disk images,
 * network back ends and console streams are not closed: whoever opened them closes them, after
 * this. PCI has no hot-unplug here, so close at VM teardown, with the vCPUs stopped.
 */
public final class VirtioPci implements AutoCloseable {
    /** A device on the bus: its slot (device number on bus 0) and its transport. */
    public record Attached(int slot, VirtioPciDevice transport) implements AutoCloseable {
        public VirtioDevice device() {
            return transport.device();
        }

        @Override
        public void close() {
            transport.close();
        }
    }

    private final PciBus bus;
    private final GuestMemory memory;
    private final InterruptLines interrupts;
    private final List<Attached> attached = new ArrayList<>();
    private final int[] counts = new int[DeviceType.values().length];

    /**
     * @param bus        the machine's PCI bus 0
     * @param memory     guest RAM (the queues live there)
     * @param interrupts the VM's interrupt lines, for MSI-X (INTx goes through the bus)
     */
    public VirtioPci(PciBus bus, GuestMemory memory, InterruptLines interrupts) {
        this.bus = Objects.requireNonNull(bus, "bus");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.interrupts = Objects.requireNonNull(interrupts, "interrupts");
    }

    /** A virtio-blk disk over {@code disk}. */
    public synchronized Attached attachBlock(DiskImage disk, BlockOptions options) {
        String name = nextName(DeviceType.BLOCK, "virtio-blk");
        return attach(new VirtioBlock(name, disk, options), name);
    }

    /** A virtio-net interface on {@code backend} (whose MAC the guest sees). */
    public synchronized Attached attachNet(NetBackend backend, NetOptions options) {
        String name = nextName(DeviceType.NET, "virtio-net");
        return attach(new VirtioNet(name, backend, options), name);
    }

    /** A virtio-rng entropy source fed by the host's SecureRandom. */
    public synchronized Attached attachRng() {
        String name = nextName(DeviceType.ENTROPY, "virtio-rng");
        return attach(new VirtioRng(name), name);
    }

    /**
     * A virtio-console port writing guest output to {@code output}; with {@code input} non-null a
     * thread copies it to the guest.
     */
    public synchronized Attached attachConsole(OutputStream output, InputStream input) {
        String name = nextName(DeviceType.CONSOLE, "virtio-console");
        VirtioConsole console = new VirtioConsole(name, output);
        Attached a = attach(console, name);
        if (input != null) {
            console.attachInput(input);
        }
        return a;
    }

    /** Any device, under {@code name}. */
    public synchronized Attached attach(VirtioDevice device, String name) {
        VirtioPciDevice transport = new VirtioPciDevice(device, memory, interrupts, name);
        int slot;
        try {
            slot = bus.attach(transport);
        } catch (RuntimeException e) {
            transport.close();
            throw e;
        }
        Attached a = new Attached(slot, transport);
        attached.add(a);
        return a;
    }

    /** Everything attached so far, in order. */
    public synchronized List<Attached> attached() {
        return List.copyOf(attached);
    }

    private String nextName(DeviceType type, String prefix) {
        return prefix + counts[type.ordinal()]++;
    }

    @Override
    public synchronized void close() {
        for (Attached a : attached) {
            a.close();
        }
    }
}
