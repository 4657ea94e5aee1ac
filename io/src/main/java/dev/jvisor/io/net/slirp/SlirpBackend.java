package dev.jvisor.io.net.slirp;

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
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * User-mode NAT networking through libslirp: the guest gets DHCP, DNS and outgoing TCP/UDP through
 * the host's sockets without any privilege, and host ports can be forwarded into the guest
 * ({@link HostForward}).
 *
 * <p>libslirp is single-threaded, so one dedicated thread owns it and runs its poll loop: it feeds
 * guest frames (queued by {@link #send}) to {@code slirp_input}, asks libslirp which sockets to watch
 * ({@code slirp_pollfds_fill}), waits in {@code poll(2)} together with an eventfd that {@link #send}
 * and {@link #close} use to wake it, lets libslirp handle the events, and fires its timers. Frames
 * libslirp emits for the guest go to the receive queue of the {@link NetBackend} contract.
 */
public final class SlirpBackend implements NetBackend {
    private static final System.Logger LOG = System.getLogger(SlirpBackend.class.getName());
    private static final int QUEUE_BYTES = 1 << 20;
    private static final int MAX_WAIT_MILLIS = 1000;

    private final MacAddress mac;
    private final SlirpOptions options;
    private final FrameQueue toGuest = new FrameQueue(QUEUE_BYTES);
    private final FrameQueue fromGuest = new FrameQueue(QUEUE_BYTES);
    private final NetCounters counters = new NetCounters();
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final int wakeFd;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile String failure;

    private SlirpBackend(MacAddress mac, SlirpOptions options) throws IOException {
        this.mac = mac;
        this.options = options;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment errno = Libc.newErrnoState(a);
            this.wakeFd = (int) Libc.check(Libc.eventfd(errno, 0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK), errno, "eventfd");
        }
        this.thread = Thread.ofPlatform().daemon().name("slirp-" + mac).unstarted(new Loop());
        fromGuest.setListener(this::wake);
    }

    /** Whether libslirp can be loaded on this host. */
    public static boolean isAvailable() {
        try {
            SlirpBinding.load();
            return true;
        } catch (IOException | RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** libslirp's version string. */
    public static String libraryVersion() throws IOException {
        return SlirpBinding.load();
    }

    /**
     * Starts a user-mode network for a guest with address {@code mac}.
     *
     * @throws IOException if libslirp is missing, the configuration is refused, or a host forward
     *     cannot listen (port in use); the message says which
     */
    public static SlirpBackend start(MacAddress mac, SlirpOptions options) throws IOException {
        SlirpBinding.load();
        SlirpBackend b = new SlirpBackend(mac, options);
        b.thread.start();
        try {
            b.started.get(30, TimeUnit.SECONDS);
            return b;
        } catch (ExecutionException e) {
            b.close();
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("user-mode network failed to start: " + e.getCause(), e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            b.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("user-mode network did not start", e);
        }
    }

    public SlirpOptions options() {
        return options;
    }

    @Override
    public MacAddress mac() {
        return mac;
    }

    @Override
    public boolean send(ByteBuffer frame) throws IOException {
        if (stopping || failure != null) {
            throw new IOException("user-mode network is " + (failure != null ? "stopped: " + failure : "closed"));
        }
        int len = frame.remaining();
        boolean ok = len >= MIN_FRAME && len <= MAX_FRAME && fromGuest.offer(frame);
        frame.position(frame.limit());
        if (ok) {
            counters.sent(len);
        } else {
            counters.txDropped();
        }
        return ok;
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

    private void wake() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment one = a.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1);
            // An eventfd write only fails when the counter would overflow, i.e. the loop is already woken.
            Libc.write(Libc.newErrnoState(a), wakeFd, one, 8);
        }
    }

    /** Stops the loop (closing libslirp's sockets and forwards) and waits for it. */
    @Override
    public void close() {
        if (stopping) {
            return;
        }
        stopping = true;
        wake();
        try {
            if (thread.isAlive() || thread.getState() != Thread.State.NEW) {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!thread.isAlive()) {
            try (Arena a = Arena.ofConfined()) {
                Libc.close(Libc.newErrnoState(a), wakeFd);
            }
        }
    }

    /** The loop thread: owns the binding, the poll array and the timers. */
    private final class Loop implements Runnable, SlirpBinding.Handler {
        private final Map<Long, long[]> timers = new HashMap<>(); // handle -> {id, callback, opaque, expireMillis}
        private long nextTimer = 1;
        private MemorySegment pollFds;
        private int pollCount;
        private Arena arena;
        private final byte[] frameBuffer = new byte[MAX_FRAME];
        private final ByteBuffer frameView = ByteBuffer.wrap(frameBuffer);

        @Override
        public void run() {
            try (Arena loopArena = Arena.ofConfined()) {
                arena = loopArena;
                SlirpBinding binding = null;
                try {
                    binding = new SlirpBinding(arena, this, options);
                    addForwards(binding);
                    started.complete(null);
                    loop(binding);
                } finally {
                    // slirp_cleanup still calls back (timer_free, unregister_poll_fd): it must run
                    // while the arena holding the upcall stubs is open.
                    if (binding != null) {
                        binding.close();
                    }
                }
            } catch (Throwable t) {
                if (!started.isDone()) {
                    started.completeExceptionally(t);
                } else {
                    failure = String.valueOf(t);
                    LOG.log(System.Logger.Level.ERROR, "user-mode network loop failed", t);
                }
            }
        }

        private void addForwards(SlirpBinding binding) throws IOException {
            for (HostForward f : options.forwards()) {
                if (!binding.addHostForward(f.udp(), f.hostAddress(), f.hostPort(),
                        f.guestAddress() != null ? f.guestAddress() : options.dhcpStart(), f.guestPort())) {
                    throw new IOException("host forward " + f + " failed: host port " + f.hostPort() + " is in use or not permitted");
                }
            }
        }

        private void loop(SlirpBinding binding) {
            MemorySegment errno = Libc.newErrnoState(arena);
            MemorySegment counter = arena.allocate(JAVA_LONG);
            pollFds = arena.allocate(Libc.POLLFD, 64);
            while (!stopping) {
                drainGuestFrames(binding);
                int timeout = fireTimers(binding);
                pollCount = 0;
                addPoll(wakeFd, SlirpBinding.SLIRP_POLL_IN);
                timeout = binding.fill(timeout);
                int rc = Libc.poll(errno, pollFds, pollCount, timeout);
                boolean failed = rc < 0 && Libc.errno(errno) != Libc.EINTR;
                if (rc > 0 && (pollFds.get(JAVA_SHORT, 6) & Libc.POLLIN) != 0) {
                    Libc.read(errno, wakeFd, counter); // resets the eventfd; EAGAIN is harmless
                }
                binding.poll(failed);
            }
        }

        private void drainGuestFrames(SlirpBinding binding) {
            int len;
            while ((len = fromGuest.poll(frameView.clear())) >= 0) {
                binding.input(frameBuffer, len);
            }
        }

        /** Fires due timers; returns how long the loop may sleep. */
        private int fireTimers(SlirpBinding binding) {
            long nowMillis = System.nanoTime() / 1_000_000;
            long next = nowMillis + MAX_WAIT_MILLIS;
            // Copy: a timer callback may create, modify or free timers.
            for (Map.Entry<Long, long[]> e : Map.copyOf(timers).entrySet()) {
                long[] t = e.getValue();
                if (t[3] < 0 || !timers.containsKey(e.getKey())) {
                    continue;
                }
                if (t[3] <= nowMillis) {
                    t[3] = -1; // one-shot until modified again
                    if (t[1] != 0) {
                        binding.runTimerCallback(t[1], t[2]);
                    } else {
                        binding.handleTimer((int) t[0], t[2]);
                    }
                } else {
                    next = Math.min(next, t[3]);
                }
            }
            return (int) Math.max(0, next - nowMillis);
        }

        @Override
        public void sendPacket(MemorySegment frame) {
            int len = (int) frame.byteSize();
            MemorySegment.copy(frame, JAVA_BYTE, 0, frameBuffer, 0, len);
            frameView.clear().limit(len);
            toGuest.offer(frameView);
        }

        @Override
        public void guestError(String message) {
            LOG.log(System.Logger.Level.WARNING, "user-mode network: guest error: {0}", message);
        }

        @Override
        public long clockNanos() {
            return System.nanoTime();
        }

        @Override
        public long timerNew(int id, long nativeCallback, long callbackOpaque) {
            long handle = nextTimer++;
            timers.put(handle, new long[] {id, nativeCallback, callbackOpaque, -1});
            return handle;
        }

        @Override
        public void timerFree(long handle) {
            timers.remove(handle);
        }

        @Override
        public void timerMod(long handle, long expireMillis) {
            long[] t = timers.get(handle);
            if (t != null) {
                t[3] = expireMillis;
            }
        }

        @Override
        public void notifyReady() {
            // The loop re-polls on every iteration; nothing to kick.
        }

        @Override
        public int addPoll(int fd, int slirpEvents) {
            if (pollCount * Libc.POLLFD.byteSize() >= pollFds.byteSize()) {
                MemorySegment bigger = arena.allocate(Libc.POLLFD, pollCount * 2L);
                MemorySegment.copy(pollFds, 0, bigger, 0, pollFds.byteSize());
                pollFds = bigger;
            }
            long at = pollCount * Libc.POLLFD.byteSize();
            short events = 0;
            if ((slirpEvents & SlirpBinding.SLIRP_POLL_IN) != 0) {
                events |= Libc.POLLIN;
            }
            if ((slirpEvents & SlirpBinding.SLIRP_POLL_OUT) != 0) {
                events |= Libc.POLLOUT;
            }
            if ((slirpEvents & SlirpBinding.SLIRP_POLL_PRI) != 0) {
                events |= Libc.POLLPRI;
            }
            pollFds.set(JAVA_INT, at, fd);
            pollFds.set(JAVA_SHORT, at + 4, events);
            pollFds.set(JAVA_SHORT, at + 6, (short) 0);
            return pollCount++;
        }

        @Override
        public int revents(int index) {
            if (index < 0 || index >= pollCount) {
                return 0;
            }
            short r = pollFds.get(JAVA_SHORT, index * Libc.POLLFD.byteSize() + 6);
            int out = 0;
            if ((r & Libc.POLLIN) != 0) {
                out |= SlirpBinding.SLIRP_POLL_IN;
            }
            if ((r & Libc.POLLOUT) != 0) {
                out |= SlirpBinding.SLIRP_POLL_OUT;
            }
            if ((r & Libc.POLLPRI) != 0) {
                out |= SlirpBinding.SLIRP_POLL_PRI;
            }
            if ((r & (Libc.POLLERR | Libc.POLLNVAL)) != 0) {
                out |= SlirpBinding.SLIRP_POLL_ERR;
            }
            if ((r & Libc.POLLHUP) != 0) {
                out |= SlirpBinding.SLIRP_POLL_HUP;
            }
            return out;
        }

        @Override
        public void callbackFailed(String callback, Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "user-mode network callback " + callback + " failed", t);
        }
    }
}
