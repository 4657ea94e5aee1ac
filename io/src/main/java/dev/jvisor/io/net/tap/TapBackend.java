package dev.jvisor.io.net.tap;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.jvisor.io.net.FrameQueue;
import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.NetBackend;
import dev.jvisor.io.net.NetCounters;
import dev.jvisor.io.net.NetStats;
import dev.jvisor.io.sys.Libc;
import dev.jvisor.io.sys.NativeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A host TAP interface ({@code /dev/net/tun} with {@code IFF_TAP | IFF_NO_PI}, Linux
 * Documentation/networking/tuntap.rst): guest frames are written to it and appear on the host as
 * received by the interface; frames the host sends out of the interface are read by a dedicated thread
 * and queued for the guest. Creating a TAP needs {@code CAP_NET_ADMIN} (or a persistent TAP owned by
 * the user, made with {@code ip tuntap add ... user NAME}).
 *
 * <p>The descriptor is non-blocking: a guest frame that the interface cannot take right now is
 * dropped (counted), like a full NIC queue; the reader waits in {@code poll(2)} on the TAP and on an
 * eventfd that {@link #close} signals.
 */
public final class TapBackend implements NetBackend {
    /** TUNSETIFF = _IOW('T', 202, int), linux/if_tun.h. */
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    /** struct ifreq: char ifr_name[IFNAMSIZ=16]; then a union whose short ifr_flags sits at offset 16; 40 bytes. */
    private static final int IFREQ_SIZE = 40, IFNAMSIZ = 16;

    private final MacAddress mac;
    private final String name;
    private final int fd;
    private final int wakeFd;
    private final FrameQueue toGuest = new FrameQueue(1 << 20);
    private final NetCounters counters = new NetCounters();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment txBuffer = arena.allocate(MAX_FRAME);
    private final MemorySegment txErrno = Libc.newErrnoState(arena);
    private final Thread reader;
    private volatile boolean closed;

    private TapBackend(MacAddress mac, String name, int fd, int wakeFd) {
        this.mac = mac;
        this.name = name;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.reader = Thread.ofPlatform().daemon().name("tap-" + name).unstarted(this::readLoop);
    }

    /**
     * Opens (creating if needed) TAP interface {@code ifname} for a guest with address {@code mac}.
     *
     * @param ifname interface name (at most 15 bytes), or empty to let the kernel pick {@code tapN}
     * @throws IOException naming the cause: no {@code /dev/net/tun}, no permission (EPERM), busy
     */
    public static TapBackend open(String ifname, MacAddress mac) throws IOException {
        byte[] nameBytes = ifname.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length >= IFNAMSIZ || !ifname.matches("[A-Za-z0-9_.%-]*")) {
            throw new IllegalArgumentException("bad TAP interface name '" + ifname + "' (at most 15 letters, digits, '_', '.', '-', or a %d template)");
        }
        int fd = -1;
        int wake = -1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoState(a);
            fd = Libc.open(errno, "/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
            if (fd < 0) {
                int e = Libc.errno(errno);
                throw new NativeException(e == Libc.ENOENT ? "open /dev/net/tun (no TUN/TAP support on this host)"
                        : "open /dev/net/tun", e, Libc.strerror(e));
            }
            MemorySegment ifr = a.allocate(IFREQ_SIZE);
            MemorySegment.copy(nameBytes, 0, ifr, JAVA_BYTE, 0, nameBytes.length);
            ifr.set(JAVA_SHORT, IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI));
            if (Libc.ioctl(errno, fd, TUNSETIFF, ifr) < 0) {
                int e = Libc.errno(errno);
                throw new NativeException("TUNSETIFF " + (ifname.isEmpty() ? "(new TAP)" : ifname)
                        + (e == Libc.EPERM ? " (needs CAP_NET_ADMIN or a persistent TAP owned by this user)" : ""), e, Libc.strerror(e));
            }
            String actual = ifr.getString(0, StandardCharsets.US_ASCII);
            wake = (int) Libc.check(Libc.eventfd(errno, 0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK), errno, "eventfd");
            TapBackend tap = new TapBackend(mac, actual, fd, wake);
            tap.reader.start();
            return tap;
        } catch (IOException | RuntimeException e) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment errno = Libc.newErrnoState(a);
                if (fd >= 0) {
                    Libc.close(errno, fd);
                }
                if (wake >= 0) {
                    Libc.close(errno, wake);
                }
            }
            throw e;
        }
    }

    /** The interface's name on the host (as the kernel assigned it). */
    public String interfaceName() {
        return name;
    }

    @Override
    public MacAddress mac() {
        return mac;
    }

    @Override
    public synchronized boolean send(ByteBuffer frame) throws IOException {
        if (closed) {
            throw new IOException("TAP " + name + " is closed");
        }
        int len = frame.remaining();
        if (len < MIN_FRAME || len > MAX_FRAME) {
            frame.position(frame.limit());
            counters.txDropped();
            return false;
        }
        MemorySegment.copy(MemorySegment.ofBuffer(frame), 0, txBuffer, 0, len);
        frame.position(frame.limit());
        long n = Libc.write(txErrno, fd, txBuffer, len);
        if (n == len) {
            counters.sent(len);
            return true;
        }
        int e = Libc.errno(txErrno);
        if (n < 0 && e != Libc.EAGAIN && e != Libc.EINTR && e != Libc.EINVAL) {
            throw new NativeException("write to TAP " + name, e, Libc.strerror(e));
        }
        counters.txDropped(); // queue full (EAGAIN) or a frame the interface refused: a lossy link
        return false;
    }

    private void readLoop() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoState(a);
            MemorySegment fds = a.allocate(Libc.POLLFD, 2);
            MemorySegment buffer = a.allocate(MAX_FRAME);
            MemorySegment counter = a.allocate(JAVA_LONG);
            byte[] heap = new byte[MAX_FRAME];
            ByteBuffer view = ByteBuffer.wrap(heap);
            fds.set(JAVA_INT, 0, fd);
            fds.set(JAVA_SHORT, 4, Libc.POLLIN);
            fds.set(JAVA_INT, 8, wakeFd);
            fds.set(JAVA_SHORT, 12, Libc.POLLIN);
            while (!closed) {
                fds.set(JAVA_SHORT, 6, (short) 0);
                fds.set(JAVA_SHORT, 14, (short) 0);
                int rc = Libc.poll(errno, fds, 2, -1);
                if (rc < 0) {
                    if (Libc.errno(errno) == Libc.EINTR) {
                        continue;
                    }
                    return;
                }
                if ((fds.get(JAVA_SHORT, 14) & Libc.POLLIN) != 0) {
                    Libc.read(errno, wakeFd, counter);
                }
                short rev = fds.get(JAVA_SHORT, 6);
                if ((rev & (Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL)) != 0) {
                    return; // interface deleted under us
                }
                long n;
                while (!closed && (n = Libc.read(errno, fd, buffer)) > 0) {
                    if (n < MIN_FRAME) {
                        continue;
                    }
                    MemorySegment.copy(buffer, JAVA_BYTE, 0, heap, 0, (int) n);
                    view.clear().limit((int) n);
                    toGuest.offer(view);
                }
            }
        }
    }

    @Override
    public int nextFrameLength() {
        return toGuest.peekLength();
    }

    @Override
    public int receive(ByteBuffer dst) {
        int len = toGuest.poll(dst);
        if (len >= 0) {
            counters.received(len); // counted when the guest takes it, so stats never run ahead of the guest
        }
        return len;
    }

    @Override
    public void setFrameListener(Runnable listener) {
        toGuest.setListener(listener);
    }

    @Override
    public NetStats stats() {
        return counters.snapshot(toGuest.dropped());
    }

    /** Stops the reader and closes the descriptor (a non-persistent TAP then disappears). */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoState(a);
            MemorySegment one = a.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1);
            Libc.write(errno, wakeFd, one, 8);
            try {
                reader.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Libc.close(errno, fd);
            Libc.close(errno, wakeFd);
        }
        arena.close();
    }

    @Override
    public String toString() {
        return "TAP " + name;
    }
}
