package dev.jvisor.io.net.slirp;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.net.Inet4Address;

/**
 * The {@code java.lang.foreign} binding to Debian's {@code libslirp.so.0} (libslirp 4.x,
 * {@code <slirp/libslirp.h>}): downcalls to its functions, upcall stubs for its callbacks, and the two
 * structs it reads ({@code SlirpConfig} version 4, {@code SlirpCb}). Struct offsets below were taken
 * from the header with {@code offsetof} on x86-64 (checked by {@code SlirpLayoutTest} where the
 * header is installed).
 *
 * <p>libslirp is not thread-safe: every method here, and every callback, runs on the owner's single
 * loop thread. Upcalls must never throw into C (the JVM would abort), so each stub's Java target
 * catches everything and reports it to {@link Handler#callbackFailed}.
 */
@SuppressWarnings("restricted") // this class is one of the module's two native bindings; each call says why it is safe
final class SlirpBinding implements AutoCloseable {

    /** The Java side of libslirp's callbacks; all run on the loop thread. */
    interface Handler {
        /** A frame for the guest; {@code frame} is valid only during the call. */
        void sendPacket(MemorySegment frame);

        void guestError(String message);

        long clockNanos();

        /** A new timer; returns a non-zero handle. {@code nativeCallback} is 0 for libslirp's opaque timers. */
        long timerNew(int id, long nativeCallback, long callbackOpaque);

        void timerFree(long handle);

        void timerMod(long handle, long expireMillis);

        void notifyReady();

        /** Adds a descriptor to the poll set being built; returns its index. */
        int addPoll(int fd, int slirpEvents);

        /** Returned events (SLIRP_POLL_*) of the descriptor at {@code index}. */
        int revents(int index);

        void callbackFailed(String callback, Throwable t);
    }

    static final int SLIRP_POLL_IN = 1, SLIRP_POLL_OUT = 2, SLIRP_POLL_PRI = 4, SLIRP_POLL_ERR = 8, SLIRP_POLL_HUP = 16;
    private static final int CONFIG_VERSION = 4;
    private static final long CONFIG_SIZE = 184;
    private static final long CALLBACKS_SIZE = 88;
    /** struct in_addr, passed by value to slirp_add_hostfwd. */
    private static final StructLayout IN_ADDR = MemoryLayout.structLayout(JAVA_INT.withName("s_addr"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile Library library;

    /** The loaded library's downcall handles, created once per process. */
    private record Library(MethodHandle slirpNew, MethodHandle input, MethodHandle fill, MethodHandle poll,
            MethodHandle handleTimer, MethodHandle addHostfwd, MethodHandle cleanup, MethodHandle version,
            MethodHandle timerCallback) {}

    private final Library lib;
    private final Arena arena;
    private final Handler handler;
    private final MemorySegment addPollStub;
    private final MemorySegment reventsStub;
    private final MemorySegment timeoutCell;
    private final MemorySegment inputBuffer;
    private MemorySegment slirp = MemorySegment.NULL;

    /**
     * Loads libslirp (once per process).
     *
     * @throws IOException naming the package to install if the library is missing
     */
    static String load() throws IOException {
        Library l = library();
        try {
            // Safe: slirp_version_string returns a pointer to a static NUL-terminated string.
            MemorySegment v = (MemorySegment) l.version.invokeExact();
            return v.reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw new IOException("libslirp version query failed", t);
        }
    }

    private static Library library() throws IOException {
        Library l = library;
        if (l != null) {
            return l;
        }
        synchronized (SlirpBinding.class) {
            if (library == null) {
                SymbolLookup so;
                try {
                    // The global arena: the library stays loaded for the life of the process.
                    so = SymbolLookup.libraryLookup("libslirp.so.0", Arena.global());
                } catch (IllegalArgumentException e) {
                    throw new IOException("libslirp.so.0 not found: install Debian's libslirp0 package for user-mode networking", e);
                }
                library = new Library(
                        down(so, "slirp_new", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS)),
                        down(so, "slirp_input", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT)),
                        down(so, "slirp_pollfds_fill", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS)),
                        down(so, "slirp_pollfds_poll", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS, ADDRESS)),
                        down(so, "slirp_handle_timer", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS)),
                        down(so, "slirp_add_hostfwd", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, IN_ADDR, JAVA_INT, IN_ADDR, JAVA_INT)),
                        down(so, "slirp_cleanup", FunctionDescriptor.ofVoid(ADDRESS)),
                        down(so, "slirp_version_string", FunctionDescriptor.of(ADDRESS)),
                        LINKER.downcallHandle(FunctionDescriptor.ofVoid(ADDRESS)));
            }
            return library;
        }
    }

    private static MethodHandle down(SymbolLookup so, String name, FunctionDescriptor fd) throws IOException {
        MemorySegment symbol = so.find(name).orElseThrow(() -> new IOException("libslirp.so.0 lacks " + name + " (need libslirp 4.7 or later)"));
        return LINKER.downcallHandle(symbol, fd);
    }

    /**
     * Creates a slirp instance. Must be called on the loop thread, which then owns the binding.
     *
     * @param arena a confined arena of the loop thread, closed by the owner after {@link #close}
     */
    SlirpBinding(Arena arena, Handler handler, SlirpOptions options) throws IOException {
        this.lib = library();
        this.arena = arena;
        this.handler = handler;
        this.timeoutCell = arena.allocate(JAVA_INT);
        this.inputBuffer = arena.allocate(dev.jvisor.io.net.NetBackend.MAX_FRAME);
        this.addPollStub = upcall("onAddPoll", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        this.reventsStub = upcall("onRevents", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));

        MemorySegment cfg = arena.allocate(CONFIG_SIZE, 8);
        cfg.set(JAVA_INT, 0, CONFIG_VERSION);
        cfg.set(JAVA_INT, 4, options.restricted() ? 1 : 0);
        cfg.set(JAVA_BYTE, 8, (byte) 1);                         // in_enabled
        putAddress(cfg, 12, options.network());                   // vnetwork
        putAddress(cfg, 16, options.netmask());                   // vnetmask
        putAddress(cfg, 20, options.host());                      // vhost
        cfg.set(JAVA_BYTE, 24, (byte) 0);                         // in6_enabled: IPv4 only
        cfg.set(ADDRESS, 64, arena.allocateFrom(options.hostname()));  // vhostname
        putAddress(cfg, 96, options.dhcpStart());                 // vdhcp_start
        putAddress(cfg, 100, options.dns());                      // vnameserver
        cfg.set(JAVA_LONG, 136, 1500);                            // if_mtu
        cfg.set(JAVA_LONG, 144, 1500);                            // if_mru
        cfg.set(JAVA_BYTE, 152, (byte) (options.disableHostLoopback() ? 1 : 0));
        cfg.set(JAVA_BYTE, 153, (byte) 0);                        // enable_emu: off, libslirp warns it is unsafe
        cfg.set(JAVA_BYTE, 176, (byte) 0);                        // disable_dns
        cfg.set(JAVA_BYTE, 177, (byte) 0);                        // disable_dhcp

        MemorySegment cb = arena.allocate(CALLBACKS_SIZE, 8);
        cb.set(ADDRESS, 0, upcall("onSendPacket", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS)));
        cb.set(ADDRESS, 8, upcall("onGuestError", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS)));
        cb.set(ADDRESS, 16, upcall("onClock", FunctionDescriptor.of(JAVA_LONG, ADDRESS)));
        cb.set(ADDRESS, 24, upcall("onTimerNew", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS)));
        cb.set(ADDRESS, 32, upcall("onTimerFree", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS)));
        cb.set(ADDRESS, 40, upcall("onTimerMod", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, ADDRESS)));
        cb.set(ADDRESS, 48, upcall("onRegisterPollFd", FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS)));
        cb.set(ADDRESS, 56, upcall("onRegisterPollFd", FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS))); // unregister: same no-op
        cb.set(ADDRESS, 64, upcall("onNotify", FunctionDescriptor.ofVoid(ADDRESS)));
        cb.set(ADDRESS, 72, upcall("onInitCompleted", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS)));
        cb.set(ADDRESS, 80, upcall("onTimerNewOpaque", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, ADDRESS)));
        try {
            // Safe: cfg and cb are fully initialised structs of the sizes libslirp's version-4 ABI
            // expects, allocated in an arena that outlives the instance (libslirp keeps the cb
            // pointer); string pointers in cfg stay valid for the same reason.
            slirp = (MemorySegment) lib.slirpNew.invokeExact(cfg, cb, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IOException("slirp_new failed", t);
        }
        if (slirp.equals(MemorySegment.NULL)) {
            throw new IOException("slirp_new refused the network configuration " + options);
        }
    }

    private static void putAddress(MemorySegment s, long offset, Inet4Address a) {
        MemorySegment.copy(a.getAddress(), 0, s, JAVA_BYTE, offset, 4); // network byte order, as in memory
    }

    private MemorySegment upcall(String method, FunctionDescriptor fd) throws IOException {
        try {
            MethodHandle target = MethodHandles.lookup().findVirtual(SlirpBinding.class, method, fd.toMethodType()).bindTo(this);
            // Safe: the stub lives in this binding's arena, which is closed only after slirp_cleanup,
            // so libslirp never calls a freed stub; the targets catch every exception (see class comment).
            return LINKER.upcallStub(target, fd, arena);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("slirp callback " + method + " missing", e);
        }
    }

    /** Passes one guest frame to libslirp. */
    void input(byte[] frame, int length) {
        MemorySegment.copy(frame, 0, inputBuffer, JAVA_BYTE, 0, length);
        try {
            // Safe: length <= MAX_FRAME = inputBuffer's size (checked by the caller's queue); slirp
            // only reads the packet during the call.
            lib.input.invokeExact(slirp, inputBuffer, length);
        } catch (Throwable t) {
            throw new IllegalStateException("slirp_input failed", t);
        }
    }

    /**
     * Asks libslirp which descriptors to poll (through {@link Handler#addPoll}) and for how long.
     *
     * @param timeoutMillis the caller's own limit
     * @return the timeout libslirp wants, at most {@code timeoutMillis}
     */
    int fill(int timeoutMillis) {
        timeoutCell.set(JAVA_INT, 0, timeoutMillis);
        try {
            // Safe: timeoutCell is a 4-byte cell for the uint32_t libslirp updates; the callback stub
            // is valid for the binding's lifetime.
            lib.fill.invokeExact(slirp, timeoutCell, addPollStub, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("slirp_pollfds_fill failed", t);
        }
        long t = Integer.toUnsignedLong(timeoutCell.get(JAVA_INT, 0));
        return (int) Math.min(t, timeoutMillis);
    }

    /** Lets libslirp handle what poll(2) reported (through {@link Handler#revents}). */
    void poll(boolean pollFailed) {
        try {
            // Safe: plain ints and the callback stub, which outlives the call.
            lib.poll.invokeExact(slirp, pollFailed ? 1 : 0, reventsStub, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("slirp_pollfds_poll failed", t);
        }
    }

    /** Fires a timer created through timer_new_opaque. */
    void handleTimer(int id, long callbackOpaque) {
        try {
            // Safe: id and cb_opaque are the values libslirp itself passed to timer_new_opaque.
            lib.handleTimer.invokeExact(slirp, id, MemorySegment.ofAddress(callbackOpaque));
        } catch (Throwable t) {
            throw new IllegalStateException("slirp_handle_timer failed", t);
        }
    }

    /** Fires a timer created through timer_new: calls its C callback. */
    void runTimerCallback(long callback, long callbackOpaque) {
        try {
            // Safe: callback is the SlirpTimerCb function pointer libslirp passed to timer_new, and
            // the timer was not freed (the owner drops handles in timer_free).
            lib.timerCallback.invokeExact(MemorySegment.ofAddress(callback), MemorySegment.ofAddress(callbackOpaque));
        } catch (Throwable t) {
            throw new IllegalStateException("slirp timer callback failed", t);
        }
    }

    /**
     * Forwards host {@code hostAddr:hostPort} to guest {@code guestAddr:guestPort}.
     *
     * @return false if libslirp refused (typically the host port is in use)
     */
    boolean addHostForward(boolean udp, Inet4Address hostAddr, int hostPort, Inet4Address guestAddr, int guestPort) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment host = call.allocate(IN_ADDR);
            MemorySegment guest = call.allocate(IN_ADDR);
            putAddress(host, 0, hostAddr);
            putAddress(guest, 0, guestAddr);
            // Safe: the two in_addr structs are passed by value (copied into registers); ports are ints.
            int rc = (int) lib.addHostfwd.invokeExact(slirp, udp ? 1 : 0, host, hostPort, guest, guestPort);
            return rc >= 0;
        } catch (Throwable t) {
            throw new IllegalStateException("slirp_add_hostfwd failed", t);
        }
    }

    /** Destroys the slirp instance (closing its sockets); the arena may be closed afterwards. */
    @Override
    public void close() {
        if (slirp.equals(MemorySegment.NULL)) {
            return;
        }
        try {
            // Safe: called once, on the loop thread, with the instance slirp_new returned.
            lib.cleanup.invokeExact(slirp);
        } catch (Throwable t) {
            throw new IllegalStateException("slirp_cleanup failed", t);
        } finally {
            slirp = MemorySegment.NULL;
        }
    }

    // ---- upcall targets: never throw into C ----

    private long onSendPacket(MemorySegment buf, long len, MemorySegment opaque) {
        try {
            if (len < 0 || len > dev.jvisor.io.net.NetBackend.MAX_FRAME) {
                return -1;
            }
            // Safe: libslirp passes a buffer of exactly len bytes, valid during this call only.
            handler.sendPacket(buf.reinterpret(len));
            return len;
        } catch (Throwable t) {
            handler.callbackFailed("send_packet", t);
            return -1;
        }
    }

    private void onGuestError(MemorySegment msg, MemorySegment opaque) {
        try {
            // Safe: a NUL-terminated message string; 4096 bounds the scan should it be malformed.
            handler.guestError(msg.reinterpret(4096).getString(0));
        } catch (Throwable t) {
            handler.callbackFailed("guest_error", t);
        }
    }

    private long onClock(MemorySegment opaque) {
        try {
            return handler.clockNanos();
        } catch (Throwable t) {
            handler.callbackFailed("clock_get_ns", t);
            return 0;
        }
    }

    private MemorySegment onTimerNew(MemorySegment cb, MemorySegment cbOpaque, MemorySegment opaque) {
        try {
            return MemorySegment.ofAddress(handler.timerNew(-1, cb.address(), cbOpaque.address()));
        } catch (Throwable t) {
            handler.callbackFailed("timer_new", t);
            return MemorySegment.NULL;
        }
    }

    private MemorySegment onTimerNewOpaque(int id, MemorySegment cbOpaque, MemorySegment opaque) {
        try {
            return MemorySegment.ofAddress(handler.timerNew(id, 0, cbOpaque.address()));
        } catch (Throwable t) {
            handler.callbackFailed("timer_new_opaque", t);
            return MemorySegment.NULL;
        }
    }

    private void onTimerFree(MemorySegment timer, MemorySegment opaque) {
        try {
            handler.timerFree(timer.address());
        } catch (Throwable t) {
            handler.callbackFailed("timer_free", t);
        }
    }

    private void onTimerMod(MemorySegment timer, long expireMillis, MemorySegment opaque) {
        try {
            handler.timerMod(timer.address(), expireMillis);
        } catch (Throwable t) {
            handler.callbackFailed("timer_mod", t);
        }
    }

    private void onRegisterPollFd(int fd, MemorySegment opaque) {
        // Nothing to do: the loop asks for the descriptors on every iteration (slirp_pollfds_fill).
    }

    private void onNotify(MemorySegment opaque) {
        try {
            handler.notifyReady();
        } catch (Throwable t) {
            handler.callbackFailed("notify", t);
        }
    }

    private void onInitCompleted(MemorySegment instance, MemorySegment opaque) {
        // Nothing to do: slirp_new's return value is the same instance.
    }

    private int onAddPoll(int fd, int events, MemorySegment opaque) {
        try {
            return handler.addPoll(fd, events);
        } catch (Throwable t) {
            handler.callbackFailed("add_poll", t);
            return -1;
        }
    }

    private int onRevents(int index, MemorySegment opaque) {
        try {
            return handler.revents(index);
        } catch (Throwable t) {
            handler.callbackFailed("get_revents", t);
            return 0;
        }
    }
}
