package dev.jvisor.vmm;

import dev.jvisor.devices.pci.PciBus;
import dev.jvisor.hypervisor.InterruptLines;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.DiskImages;
import dev.jvisor.io.disk.ImageLockedException;
import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.NetBackend;
import dev.jvisor.io.net.PortOptions;
import dev.jvisor.io.net.SwitchRegistry;
import dev.jvisor.io.net.slirp.SlirpBackend;
import dev.jvisor.io.net.slirp.SlirpOptions;
import dev.jvisor.io.net.tap.TapBackend;
import dev.jvisor.io.ratelimit.RateLimiter;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.virtio.VirtioPci;
import dev.jvisor.virtio.block.BlockOptions;
import dev.jvisor.virtio.net.NetOptions;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM's virtio devices and the host resources behind them: the disk images of its drives, the
 * network back ends of its interfaces, and a virtio-rng.
 *
 * <p>Two steps, so that bad input fails before anything of the VM exists: {@link #open} takes the
 * host resources (opens and locks images, starts back ends — every failure a {@link VmException}
 * with a message for the user), then {@code attach} puts the devices on the PCI bus in a fixed
 * order: drives (virtio-blk0, 1, ... → /dev/vda, vdb, ... in Linux), then interfaces (eth0, ...),
 * then the rng, then the console channels.
 *
 * <p>{@link #close} is for teardown with the vCPUs stopped: it resets the devices and ends their
 * threads first, then flushes and closes the images and stops the back ends.
 */
public final class VirtioDevices implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VirtioDevices.class);

    /** An open drive. */
    public record Drive(DriveConfig config, DiskFormat format, DiskImage image) {
    }

    /** A started network interface back end, with the MAC its guest uses. */
    public record Nic(NetConfig config, MacAddress mac, NetBackend backend) {
    }

    private final List<Drive> drives;
    private final List<Nic> nics;
    private final boolean rng;
    private final List<dev.jvisor.vmm.channel.SocketChannelBridge> channels;
    private VirtioPci pci;
    private boolean closed;
    // Kept so that a service can read I/O counters and change limits while the VM runs.
    private final List<CountingDiskImage> countedDrives = new ArrayList<>();
    private final List<RateLimiter> driveLimiters = new ArrayList<>();
    private final List<RateLimiter[]> nicLimiters = new ArrayList<>();

    private VirtioDevices(List<Drive> drives, List<Nic> nics, boolean rng,
                          List<dev.jvisor.vmm.channel.SocketChannelBridge> channels) {
        this.drives = List.copyOf(drives);
        this.nics = List.copyOf(nics);
        this.rng = rng;
        this.channels = List.copyOf(channels);
    }

    /**
     * Opens every drive and starts every interface of {@code config}; on failure releases what was
     * opened and says which device failed and why.
     *
     * @param switches the process's named switches, for {@code switch=NAME} interfaces
     */
    public static VirtioDevices open(VmConfig config, SwitchRegistry switches) throws VmException {
        requireDistinctFiles(config.drives());
        List<Drive> drives = new ArrayList<>();
        List<Nic> nics = new ArrayList<>();
        List<dev.jvisor.vmm.channel.SocketChannelBridge> channels = new ArrayList<>();
        try {
            for (Path socket : config.channels()) {
                channels.add(dev.jvisor.vmm.channel.SocketChannelBridge.open(socket));
            }
            for (DriveConfig d : config.drives()) {
                drives.add(openDrive(d));
            }
            String seed = macSeed(config);
            for (int i = 0; i < config.nets().size(); i++) {
                NetConfig n = config.nets().get(i);
                MacAddress mac = n.mac().isPresent() ? n.mac().get() : StableMac.derive(seed, i);
                nics.add(new Nic(n, mac, startBackend(n, mac, switches)));
            }
            return new VirtioDevices(drives, nics, config.rng(), channels);
        } catch (VmException | RuntimeException e) {
            new VirtioDevices(drives, nics, false, channels).close();
            throw e;
        }
    }

    /** One file behind two drives would be two caches of one disk: refused, whatever the modes. */
    private static void requireDistinctFiles(List<DriveConfig> drives) throws VmException {
        java.util.Set<Path> seen = new java.util.HashSet<>();
        for (DriveConfig d : drives) {
            Path real = d.file().toAbsolutePath().normalize();
            try {
                real = d.file().toRealPath();
            } catch (IOException e) {
                // missing or unreadable: opening it will say so
            }
            if (!seen.add(real)) {
                throw new VmException("drive " + d.file() + " is given twice");
            }
        }
    }

    /** Seed for generated MACs: the first writable drive if there is one (see {@link StableMac}). */
    private static String macSeed(VmConfig config) {
        for (DriveConfig d : config.drives()) {
            if (!d.readOnly()) {
                return "drive:" + d.file().toAbsolutePath().normalize();
            }
        }
        StringBuilder s = new StringBuilder("nets:");
        for (NetConfig n : config.nets()) {
            s.append(n.attachment().describe()).append(';');
        }
        return s.toString();
    }

    private static Drive openDrive(DriveConfig d) throws VmException {
        DiskFormat format = DriveFormats.resolve(d);
        try {
            return new Drive(d, format, DiskImages.open(d.file(), format, d.readOnly()));
        } catch (NoSuchFileException e) {
            throw new VmException("drive " + d.file() + " does not exist");
        } catch (AccessDeniedException e) {
            throw new VmException("drive " + d.file() + ": permission denied"
                    + (d.readOnly() ? "" : " (readonly=on needs only read access)"));
        } catch (ImageLockedException e) {
            throw new VmException("drive " + d.file() + " is in use by another VM (locked)"
                    + (d.readOnly() ? "" : "; readonly=on can share an image with other read-only users"));
        } catch (InvalidImageException e) {
            throw new VmException("drive " + d.file() + " is not a usable " + format.id() + " image: " + e.getMessage());
        } catch (IOException e) {
            throw new VmException("cannot open drive " + d.file() + ": " + e.getMessage(), e);
        }
    }

    private static NetBackend startBackend(NetConfig n, MacAddress mac, SwitchRegistry switches) throws VmException {
        String what = "--net " + n.attachment().describe();
        try {
            return switch (n.attachment()) {
                case NetConfig.User user -> {
                    if (!SlirpBackend.isAvailable()) {
                        throw new VmException(what + ": user-mode networking needs libslirp.so.0 (Debian package libslirp0)");
                    }
                    yield SlirpBackend.start(mac, SlirpOptions.defaults(user.forwards()));
                }
                case NetConfig.Switch sw -> switches.getOrCreate(sw.name()).connect(mac, PortOptions.filtered());
                case NetConfig.Tap tap -> TapBackend.open(tap.interfaceName(), mac);
            };
        } catch (IOException e) {
            throw new VmException(what + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new VmException(what + ": " + e.getMessage()
                    + (n.mac().isEmpty() ? " (give the interface its own mac=)" : ""), e);
        }
    }

    /** Puts the devices on {@code bus}; called once by {@link MachineBuilder}. */
    void attach(PciBus bus, GuestMemory memory, InterruptLines interrupts) {
        if (pci != null) {
            throw new IllegalStateException("virtio devices are already attached");
        }
        pci = new VirtioPci(bus, memory, interrupts);
        for (Drive d : drives) {
            CountingDiskImage counted = new CountingDiskImage(d.image());
            RateLimiter limiter = limiterFor(d.config().rate());
            countedDrives.add(counted);
            driveLimiters.add(limiter);
            pci.attachBlock(counted, BlockOptions.defaults().withReadOnly(d.config().readOnly())
                    .withRateLimiter(limiter));
        }
        for (Nic n : nics) {
            RateLimitConfig rate = n.config().rate();
            RateLimiter rx = limiterFor(rate);
            RateLimiter tx = limiterFor(rate);
            nicLimiters.add(new RateLimiter[]{rx, tx});
            pci.attachNet(n.backend(), NetOptions.defaults().withRateLimiters(rx, tx));
        }
        if (rng) {
            pci.attachRng();
        }
        for (dev.jvisor.vmm.channel.SocketChannelBridge ch : channels) {
            // A host<->guest byte channel: /dev/hvc0, hvc1... in the guest, a Unix socket on the host.
            pci.attachConsole(ch.guestOutput(), ch.guestInput());
        }
    }

    /** The drives, in the order the guest sees them. */
    public List<Drive> drives() {
        return drives;
    }

    /** The network interfaces, in the order the guest sees them. */
    public List<Nic> nics() {
        return nics;
    }

    /**
     * Always a real limiter (possibly with no bucket), so that limits can be set later with
     * {@link RateLimiter#update}; an unlimited one costs one uncontended lock per request.
     */
    private static RateLimiter limiterFor(RateLimitConfig rate) {
        return new RateLimiter(rate.bytes(), rate.ops());
    }

    /** The I/O counters of drive {@code index} (after attachment). */
    public CountingDiskImage.Counts driveCounts(int index) {
        return countedDrives.get(index).counts();
    }

    /** The rate limiter of drive {@code index} (after attachment); {@link RateLimiter#update} changes it live. */
    public RateLimiter driveLimiter(int index) {
        return driveLimiters.get(index);
    }

    /** The receive ([0]) and transmit ([1]) limiters of interface {@code index} (after attachment). */
    public RateLimiter[] nicLimiters(int index) {
        return nicLimiters.get(index).clone();
    }

    /** The devices on the PCI bus (empty before attachment), for diagnostics. */
    public List<VirtioPci.Attached> attached() {
        return pci == null ? List.of() : pci.attached();
    }

    /**
     * Stops the devices, then flushes and closes the images and stops the back ends. Errors are
     * logged, not thrown: teardown goes on. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pci != null) {
            pci.close();
        }
        for (Drive d : drives) {
            try {
                d.image().close();
            } catch (IOException | RuntimeException e) {
                LOG.error("closing drive {} failed; data the guest did not flush may be lost", d.config().file(), e);
            }
        }
        for (Nic n : nics) {
            try {
                n.backend().close();
            } catch (RuntimeException e) {
                LOG.warn("stopping network back end {} failed", n.config().attachment().describe(), e);
            }
        }
        for (dev.jvisor.vmm.channel.SocketChannelBridge ch : channels) {
            ch.close();
        }
    }
}
