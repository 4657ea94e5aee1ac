package dev.jvisor.gdbstub;

import dev.jvisor.vmm.ExitReason;
import dev.jvisor.vmm.VirtualMachine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GDB remote stub for one VM ({@code jvisor run --gdb tcp:127.0.0.1:1234}): listens on a TCP
 * port and serves one debugger at a time, in all-stop mode with the vCPUs as threads. A debugger
 * that connects stops the VM; one that detaches or disconnects lets it run on; a new one may then
 * connect. Works on any back end that implements {@link dev.jvisor.hypervisor.Vcpu#setDebug} and
 * {@link dev.jvisor.hypervisor.Vcpu#translate}.
 *
 * <p>Create it after the VM is built and before {@link VirtualMachine#start()}; close it after the
 * VM has ended (closing releases held vCPUs and the port).
 */
public final class GdbServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GdbServer.class);
    /** How long an attaching debugger waits for the vCPUs to stop. */
    private static final long ATTACH_TIMEOUT_SECONDS = 30;
    /** How long closing waits for a session to send its last reply after the VM ended. */
    private static final long FAREWELL_MILLIS = 2000;

    private final VirtualMachine vm;
    private final RunControl control;
    private final ServerSocket server;
    private final Thread acceptor;
    private volatile boolean closed;
    private volatile RemoteConnection current;

    private GdbServer(VirtualMachine vm, RunControl control, ServerSocket server) {
        this.vm = vm;
        this.control = control;
        this.server = server;
        this.acceptor = Thread.ofPlatform().daemon().name("gdb-stub").unstarted(this::acceptLoop);
    }

    /**
     * Listens on {@code address} for a debugger of {@code vm}.
     *
     * @param waitForDebugger hold every vCPU before its first instruction until a debugger
     *                        resumes it ({@code --gdb-wait})
     * @throws IOException if the address cannot be bound
     */
    public static GdbServer start(VirtualMachine vm, GdbAddress address, boolean waitForDebugger) throws IOException {
        RunControl control = new RunControl(vm.vm().vcpus(), waitForDebugger);
        ServerSocket socket = new ServerSocket();
        try {
            socket.setReuseAddress(true);
            socket.bind(address.socketAddress(), 1);
        } catch (IOException e) {
            socket.close();
            throw new IOException("--gdb: cannot listen on " + address.host() + ":" + address.port() + ": "
                    + e.getMessage(), e);
        }
        vm.supervise(control);
        GdbServer s = new GdbServer(vm, control, socket);
        s.acceptor.start();
        return s;
    }

    /** The address actually bound (with the chosen port when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!closed) {
            try (Socket socket = server.accept()) {
                LOG.info("debugger connected from {}", socket.getRemoteSocketAddress());
                serve(socket);
            } catch (SocketException e) {
                if (!closed) {
                    LOG.warn("debugger connection failed: {}", e.getMessage());
                }
            } catch (IOException e) {
                LOG.warn("debugger connection failed: {}", e.getMessage());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // A bug must not leave the VM held: let it run on and wait for the next debugger.
                LOG.error("the GDB stub failed; the VM runs on", e);
                control.releaseAll();
            }
        }
    }

    private void serve(Socket socket) throws IOException, InterruptedException {
        if (control.exitReason() != null) {
            return;
        }
        BlockingQueue<SessionEvent> events = new LinkedBlockingQueue<>();
        try (RemoteConnection connection = new RemoteConnection(socket, events)) {
            current = connection;
            StopRecord stop = control.isStopped() ? control.lastStop()
                    : control.stopAndWait(StopRecord.trap(0), ATTACH_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (stop == null) {
                LOG.warn("the VM did not stop for the debugger ({})", describe(control.exitReason()));
                control.releaseAll();
                return;
            }
            control.listen(events::offer);
            connection.start();
            new GdbSession(control, vm.memory(), this::kill, connection, events, new DebugPoints()).serve();
        } finally {
            current = null;
            control.listen(null);
        }
    }

    private void kill() {
        vm.stop(new ExitReason.Stopped("the debugger (kill)"));
    }

    private static String describe(ExitReason reason) {
        return reason == null ? "it still runs" : reason.describe();
    }

    /**
     * Stops listening, drops the debugger and lets held vCPUs go. After the VM has ended, the
     * session first gets a moment to tell the debugger how ({@code W} packet).
     */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        if (Thread.currentThread() != acceptor) {
            try {
                if (vm.awaitExit(0, TimeUnit.MILLISECONDS) != null) {
                    acceptor.join(FAREWELL_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        RemoteConnection c = current;
        if (c != null) {
            c.close();
        }
        control.releaseAll();
        acceptor.interrupt();
    }
}
