package dev.jvisor.io.net;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * A learning Ethernet bridge inside the hypervisor, connecting VMs' network devices (IEEE 802.1D
 * transparent bridging, without spanning tree since it has no loops): it learns which port each source
 * MAC address lives behind, forwards unicast frames to the learned port, and floods broadcast,
 * multicast and unknown unicast frames to every other port. Learned addresses age out after
 * {@link #DEFAULT_AGING_NANOS} without traffic (802.1D's default of 300 s).
 *
 * <p>A port opened with {@linkplain PortOptions#macFilter() MAC filtering} may only send frames whose
 * source is its own address, and its address is pinned to it: no other port can take it over by
 * sending with that source (those frames are dropped). That stops a guest from spoofing another's
 * MAC or stealing its traffic.
 *
 * <p>Thread-safe and non-blocking: each port's sender runs the forwarding on its own thread and
 * copies the frame into the destination ports' bounded queues ({@link FrameQueue}); a full queue
 * drops the frame for that port only.
 */
public final class VirtualSwitch {
    /** 300 s: IEEE 802.1D-2004 table 7-5, recommended ageing time. */
    public static final long DEFAULT_AGING_NANOS = 300_000_000_000L;

    /** Where a MAC address was last seen; mutable so refreshing needs no allocation. */
    private static final class Location {
        volatile SwitchPort port;
        volatile long lastSeen;
        final boolean pinned;

        Location(SwitchPort port, long lastSeen, boolean pinned) {
            this.port = port;
            this.lastSeen = lastSeen;
            this.pinned = pinned;
        }
    }

    private final String name;
    private final LongSupplier nanoClock;
    private final long agingNanos;
    private final List<SwitchPort> ports = new CopyOnWriteArrayList<>();
    private final ConcurrentHashMap<Long, Location> table = new ConcurrentHashMap<>();

    /** A switch on the system clock with the standard ageing time. */
    public VirtualSwitch(String name) {
        this(name, System::nanoTime, DEFAULT_AGING_NANOS);
    }

    /** A switch with an injected clock and ageing time (for tests). */
    public VirtualSwitch(String name, LongSupplier nanoClock, long agingNanos) {
        this.name = name;
        this.nanoClock = nanoClock;
        this.agingNanos = agingNanos;
    }

    public String name() {
        return name;
    }

    /**
     * Adds a port for a guest with address {@code mac}.
     *
     * @throws IllegalArgumentException if {@code mac} is a group address, or is already pinned to a
     *     MAC-filtered port of this switch
     */
    public SwitchPort connect(MacAddress mac, PortOptions options) {
        if (mac.isMulticast()) {
            throw new IllegalArgumentException("port MAC address " + mac + " is a multicast address");
        }
        SwitchPort port = new SwitchPort(this, mac, options);
        if (options.macFilter()) {
            Location pinned = new Location(port, Long.MAX_VALUE, true);
            Location old = table.putIfAbsent(mac.bits(), pinned);
            if (old != null) {
                if (old.pinned) {
                    throw new IllegalArgumentException("MAC address " + mac + " is already in use on switch " + name);
                }
                table.put(mac.bits(), pinned); // a learned entry yields to the owner
            }
        }
        ports.add(port);
        return port;
    }

    /** Ports currently connected. */
    public List<SwitchPort> ports() {
        return List.copyOf(ports);
    }

    /** The port behind {@code mac} as currently learned (or pinned), or null; for diagnostics and tests. */
    public SwitchPort lookup(MacAddress mac) {
        Location loc = table.get(mac.bits());
        return loc == null || expired(loc, nanoClock.getAsLong()) ? null : loc.port;
    }

    private boolean expired(Location loc, long now) {
        return !loc.pinned && now - loc.lastSeen > agingNanos;
    }

    /** Forwards a frame sent by {@code from}; returns false if it was dropped at ingress. */
    boolean forward(SwitchPort from, ByteBuffer frame) {
        int len = frame.remaining();
        if (len < NetBackend.MIN_FRAME || len > NetBackend.MAX_FRAME) {
            return false;
        }
        int p = frame.position();
        long dst = MacAddress.bitsAt(frame, p);
        long src = MacAddress.bitsAt(frame, p + 6);
        if (MacAddress.isMulticast(src)) {
            return false; // a group address is never a valid source (IEEE 802.1D 7.8)
        }
        if (from.options().macFilter() && src != from.mac().bits()) {
            return false;
        }
        long now = nanoClock.getAsLong();
        if (!learn(from, src, now)) {
            return false;
        }
        Location target = MacAddress.isMulticast(dst) ? null : table.get(dst);
        if (target != null && !expired(target, now)) {
            SwitchPort to = target.port;
            if (to != from) {
                to.deliver(frame);
            }
            return true;
        }
        for (SwitchPort port : ports) {
            if (port != from) {
                port.deliver(frame);
            }
        }
        return true;
    }

    /** Records that {@code src} lives behind {@code from}; false if the address is pinned to another port. */
    private boolean learn(SwitchPort from, long src, long now) {
        Location loc = table.get(src);
        if (loc == null) {
            table.putIfAbsent(src, new Location(from, now, false));
            return true;
        }
        if (loc.pinned) {
            return loc.port == from;
        }
        loc.port = from; // a station that moved (or a new one after ageing) is found on its new port
        loc.lastSeen = now;
        return true;
    }

    /** Removes a closed port and everything learned on it. */
    void disconnect(SwitchPort port) {
        ports.remove(port);
        table.values().removeIf(loc -> loc.port == port);
    }
}
