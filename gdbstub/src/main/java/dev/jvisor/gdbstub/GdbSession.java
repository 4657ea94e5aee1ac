package dev.jvisor.gdbstub;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.memory.GuestMemoryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One debugger connection, run on one thread: answers the packets of the GDB remote serial protocol
 * (GDB manual, "Remote Protocol": "Packets", "Stop Reply Packets", "General Query Packets") in
 * all-stop mode, with the vCPUs as threads (thread id = vCPU index + 1). Registers and memory are
 * those of the thread chosen with {@code Hg}; memory addresses are guest-virtual.
 */
final class GdbSession {
    private static final Logger LOG = LoggerFactory.getLogger(GdbSession.class);
    /** The largest memory transfer in one packet (half the announced PacketSize, for hex). */
    static final int PACKET_SIZE = 0x4000, MAX_MEMORY = PACKET_SIZE / 2 - 16;
    private static final String ERROR = "E01", MEMORY_ERROR = "E14";

    private enum Action { NONE, CONTINUE, STEP }

    private final RunControl control;
    private final GuestMemory memory;
    private final Runnable kill;
    private final RemoteConnection connection;
    private final BlockingQueue<SessionEvent> events;
    private final DebugPoints points;
    private int generalThread;
    private int continueThread = -1;
    private boolean running;
    private boolean ended;

    GdbSession(RunControl control, GuestMemory memory, Runnable kill, RemoteConnection connection,
               BlockingQueue<SessionEvent> events, DebugPoints points) {
        this.control = control;
        this.memory = memory;
        this.kill = kill;
        this.connection = connection;
        this.events = events;
        this.points = points;
    }

    /** Serves the connection until the debugger detaches, disconnects or kills, or the VM ends. */
    void serve() throws InterruptedException, IOException {
        StopRecord first = control.lastStop();
        generalThread = first == null ? 0 : first.vcpu();
        while (!ended) {
            SessionEvent e = events.take();
            switch (e) {
                case SessionEvent.Packet p -> {
                    if (running) {
                        LOG.debug("ignoring packet while the target runs: {}", p.text());
                    } else {
                        handle(p);
                    }
                }
                case SessionEvent.Interrupt i -> {
                    if (running) {
                        control.interrupt(generalThread);
                    }
                }
                case SessionEvent.Nack n -> connection.resend();
                case SessionEvent.Stopped s -> {
                    if (running) {
                        running = false;
                        generalThread = s.stop().vcpu();
                        continueThread = -1;
                        connection.send(stopReply(s.stop()));
                    }
                }
                case SessionEvent.Exited x -> {
                    if (running) {
                        connection.send(String.format("W%02x", x.reason().exitStatus() & 0xff));
                    }
                    ended = true;
                }
                case SessionEvent.Disconnected d -> {
                    LOG.info("debugger gone ({}); the VM runs on", d.why());
                    detach();
                }
            }
        }
    }

    private void handle(SessionEvent.Packet packet) throws IOException {
        String text = packet.text();
        String reply;
        try {
            reply = answer(text, packet.data());
        } catch (ProtocolException | NumberFormatException | IndexOutOfBoundsException e) {
            LOG.debug("bad packet '{}': {}", text, e.getMessage());
            reply = ERROR;
        } catch (HypervisorException | GuestMemoryException e) {
            LOG.info("debugger request '{}' failed: {}", text, e.getMessage());
            reply = ERROR;
        }
        if (reply != null) {
            connection.send(reply);
        }
        if (text.equals("QStartNoAckMode")) {
            connection.stopAcknowledging();
        }
    }

    /** The reply to one packet, or null when there is none now (resumption, kill, detach). */
    private String answer(String p, byte[] raw) {
        if (p.isEmpty()) {
            return "";
        }
        char c = p.charAt(0);
        return switch (c) {
            case '?' -> stopReply(control.lastStop());
            case 'g' -> X86RegisterFile.Snapshot.of(vcpu(generalThread)).all();
            case 'G' -> writeAllRegisters(p.substring(1));
            case 'p' -> readRegister(p.substring(1));
            case 'P' -> writeRegister(p.substring(1));
            case 'm' -> readMemory(p.substring(1));
            case 'M' -> writeMemory(p.substring(1));
            case 'X' -> writeBinaryMemory(raw);
            case 'Z', 'z' -> changeDebugPoint(c == 'Z', p.substring(1));
            case 'H' -> selectThread(p);
            case 'T' -> threadAlive(p.substring(1)) ? "OK" : ERROR;
            case 'c', 'C' -> resumeSimple(p, false);
            case 's', 'S' -> resumeSimple(p, true);
            case 'D' -> {
                connection.sendQuietly("OK");
                detach();
                yield null;
            }
            case 'k' -> {
                killVm();
                yield null;
            }
            case 'v' -> verbose(p);
            case 'q', 'Q' -> query(p);
            default -> "";
        };
    }

    private String query(String p) {
        if (p.startsWith("qSupported")) {
            return "PacketSize=" + Integer.toHexString(PACKET_SIZE)
                    + ";qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+";
        }
        if (p.equals("QStartNoAckMode") || p.startsWith("qSymbol")) {
            return "OK";
        }
        if (p.equals("qAttached") || p.startsWith("qAttached:")) {
            return "1"; // GDB attached to a running machine: quitting detaches rather than kills
        }
        if (p.equals("qC")) {
            return "QC" + Integer.toHexString(generalThread + 1);
        }
        if (p.equals("qfThreadInfo")) {
            StringBuilder sb = new StringBuilder("m");
            for (int i = 0; i < control.vcpuCount(); i++) {
                sb.append(i == 0 ? "" : ",").append(Integer.toHexString(i + 1));
            }
            return sb.toString();
        }
        if (p.equals("qsThreadInfo")) {
            return "l";
        }
        if (p.startsWith("qThreadExtraInfo,")) {
            int t = threadIndex(p.substring("qThreadExtraInfo,".length()));
            return Hex.ascii("vCPU " + t);
        }
        if (p.startsWith("qXfer:features:read:")) {
            return features(p.substring("qXfer:features:read:".length()));
        }
        return "";
    }

    private String verbose(String p) {
        if (p.equals("vCont?")) {
            return "vCont;c;C;s;S;t";
        }
        if (p.startsWith("vCont;")) {
            return resume(parseVcont(p.substring("vCont;".length())));
        }
        if (p.startsWith("vKill")) {
            connection.sendQuietly("OK");
            killVm();
            return null;
        }
        return ""; // vMustReplyEmpty and everything not supported
    }

    /** {@code qXfer:features:read:ANNEX:OFFSET,LENGTH}: a chunk of the target description. */
    private static String features(String args) {
        int colon = args.indexOf(':');
        if (colon < 0 || !args.substring(0, colon).equals("target.xml")) {
            return "E00";
        }
        String[] range = args.substring(colon + 1).split(",", -1);
        if (range.length != 2) {
            throw new ProtocolException("qXfer read needs OFFSET,LENGTH");
        }
        long offset = Hex.parse(range[0]);
        long length = Hex.parse(range[1]);
        if (length == 0) {
            throw new ProtocolException("qXfer read of 0 bytes"); // an empty "m" would make GDB ask forever
        }
        byte[] xml = TargetDescription.BYTES;
        if (Long.compareUnsigned(offset, xml.length) >= 0) {
            return "l";
        }
        int n = (int) Math.min(Long.compareUnsigned(length, xml.length) > 0 ? xml.length : length, xml.length - offset);
        boolean last = offset + n >= xml.length;
        return (last ? "l" : "m") + PacketCodec.escape(xml, (int) offset, n);
    }

    private String readRegister(String args) {
        int n = registerNumber(args);
        StringBuilder sb = new StringBuilder();
        X86RegisterFile.Snapshot.of(vcpu(generalThread)).append(sb, n);
        return sb.toString();
    }

    private String writeRegister(String args) {
        int eq = args.indexOf('=');
        if (eq < 0) {
            throw new ProtocolException("P needs REGISTER=VALUE");
        }
        int n = registerNumber(args.substring(0, eq));
        byte[] value = Hex.decode(args.substring(eq + 1));
        if (value.length != X86RegisterFile.size(n)) {
            throw new ProtocolException("register " + n + " is " + X86RegisterFile.size(n) + " bytes");
        }
        X86RegisterFile.write(vcpu(generalThread), n, value, 0);
        return "OK";
    }

    /** {@code G}: only registers whose value changes are written (the rest may be read-only). */
    private String writeAllRegisters(String hex) {
        Vcpu v = vcpu(generalThread);
        byte[] now = Hex.decode(X86RegisterFile.Snapshot.of(v).all());
        byte[] wanted = Hex.decode(hex);
        int at = 0;
        for (int n = 0; n < X86RegisterFile.COUNT && at < wanted.length; n++) {
            int size = X86RegisterFile.size(n);
            if (at + size > wanted.length) {
                throw new ProtocolException("G packet ends inside register " + n);
            }
            if (!java.util.Arrays.equals(now, at, at + size, wanted, at, at + size)) {
                X86RegisterFile.write(v, n, wanted, at);
            }
            at += size;
        }
        return "OK";
    }

    private String readMemory(String args) {
        String[] f = args.split(",", -1);
        if (f.length != 2) {
            throw new ProtocolException("m needs ADDRESS,LENGTH");
        }
        long address = Hex.parse(f[0]);
        long requested = Hex.parse(f[1]); // unsigned: 2^64 - 1 is a large length, not -1
        int length = Long.compareUnsigned(requested, MAX_MEMORY) > 0 ? MAX_MEMORY : (int) requested;
        byte[] data = VirtualMemory.read(vcpu(generalThread), memory, address, length);
        return data.length == 0 && length > 0 ? MEMORY_ERROR : Hex.encode(data);
    }

    private String writeMemory(String args) {
        int colon = args.indexOf(':');
        String[] f = args.substring(0, colon).split(",");
        long address = Hex.parse(f[0]);
        byte[] data = Hex.decode(args.substring(colon + 1));
        if (data.length != Hex.parse(f[1])) {
            throw new ProtocolException("M packet length does not match its data");
        }
        return VirtualMemory.write(vcpu(generalThread), memory, address, data) ? "OK" : MEMORY_ERROR;
    }

    private String writeBinaryMemory(byte[] raw) {
        int colon = 0;
        while (colon < raw.length && raw[colon] != ':') {
            colon++;
        }
        String[] f = new String(raw, 1, colon - 1, StandardCharsets.ISO_8859_1).split(",");
        long address = Hex.parse(f[0]);
        byte[] data = colon < raw.length ? PacketCodec.unescape(raw, colon + 1, raw.length - colon - 1) : new byte[0];
        if (data.length != Hex.parse(f[1])) {
            throw new ProtocolException("X packet length does not match its data");
        }
        return VirtualMemory.write(vcpu(generalThread), memory, address, data) ? "OK" : MEMORY_ERROR;
    }

    /** {@code Z}/{@code z} TYPE,ADDR,KIND: arms the change on every vCPU at once, or refuses it whole. */
    private String changeDebugPoint(boolean insert, String args) {
        String[] f = args.split("[,;]", -1);
        if (f.length < 3) {
            throw new ProtocolException("Z and z need TYPE,ADDRESS,KIND");
        }
        long type = Hex.parse(f[0]);
        long address = Hex.parse(f[1]);
        long kind = Hex.parse(f[2]);
        if (Long.compareUnsigned(type, 4) > 0) {
            return ""; // a type this stub does not know: GDB gets the "not supported" reply
        }
        if (Long.compareUnsigned(kind, Integer.MAX_VALUE) > 0) {
            throw new ProtocolException("breakpoint kind " + f[2] + " is out of range");
        }
        DebugPoints before = points.copy();
        if (!points.change(insert, (int) type, address, (int) kind)) {
            return "";
        }
        try {
            for (int i = 0; i < control.vcpuCount(); i++) {
                control.vcpu(i).setDebug(points.settings(false));
            }
        } catch (HypervisorException e) {
            LOG.info("cannot {} debug point {} at 0x{}: {}", insert ? "insert" : "remove", type,
                    Long.toHexString(address), e.getMessage());
            points.restoreFrom(before);
            for (int i = 0; i < control.vcpuCount(); i++) {
                control.vcpu(i).setDebug(points.settings(false));
            }
            return ERROR;
        }
        return "OK";
    }

    private String selectThread(String p) {
        if (p.length() < 3) {
            throw new ProtocolException("H needs an operation and a thread");
        }
        String id = p.substring(2);
        int t = id.equals("-1") || id.equals("0") ? -1 : threadIndex(id);
        if (p.charAt(1) == 'g') {
            if (t >= 0) {
                generalThread = t;
            }
        } else {
            continueThread = t;
        }
        return "OK";
    }

    private boolean threadAlive(String id) {
        try {
            threadIndex(id);
            return true;
        } catch (ProtocolException e) {
            return false;
        }
    }

    /** A register number ({@code p}, {@code P}), checked against the target description. */
    private static int registerNumber(String hex) {
        long n = Hex.parse(hex);
        if (Long.compareUnsigned(n, X86RegisterFile.COUNT) >= 0) {
            throw new ProtocolException("no register " + hex);
        }
        return (int) n;
    }

    /** A GDB thread id (hex, 1-based) as a vCPU index. */
    private int threadIndex(String id) {
        long t = Hex.parse(id);
        if (t < 1 || t > control.vcpuCount()) {
            throw new ProtocolException("no thread " + id);
        }
        return (int) t - 1;
    }

    /** {@code c [ADDR]}, {@code s [ADDR]} (and the signal forms, whose signal is ignored). */
    private String resumeSimple(String p, boolean step) {
        char c = p.charAt(0);
        String rest = p.substring(1);
        if (c == 'C' || c == 'S') {
            int semi = rest.indexOf(';');
            rest = semi < 0 ? "" : rest.substring(semi + 1);
        }
        int target = continueThread >= 0 ? continueThread : generalThread;
        if (!rest.isEmpty()) {
            Vcpu v = vcpu(target);
            v.setRegisters(v.getRegisters().withRip(Hex.parse(rest)));
        }
        Action[] actions = new Action[control.vcpuCount()];
        java.util.Arrays.fill(actions, Action.CONTINUE);
        if (step) {
            actions[target] = Action.STEP;
        }
        return resume(actions);
    }

    private Action[] parseVcont(String spec) {
        Action[] actions = new Action[control.vcpuCount()];
        for (String part : spec.split(";")) {
            if (part.isEmpty()) {
                throw new ProtocolException("empty vCont action");
            }
            int colon = part.indexOf(':');
            String act = colon < 0 ? part : part.substring(0, colon);
            Action a = switch (act.charAt(0)) {
                case 'c', 'C' -> Action.CONTINUE;
                case 's', 'S' -> Action.STEP;
                case 't' -> Action.NONE;
                default -> throw new ProtocolException("unknown vCont action " + act);
            };
            if (colon < 0 || part.substring(colon + 1).equals("-1")) {
                for (int i = 0; i < actions.length; i++) {
                    if (actions[i] == null) {
                        actions[i] = a;
                    }
                }
            } else {
                int t = threadIndex(part.substring(colon + 1));
                if (actions[t] == null) {
                    actions[t] = a;
                }
            }
        }
        for (int i = 0; i < actions.length; i++) {
            if (actions[i] == null) {
                actions[i] = Action.NONE;
            }
        }
        return actions;
    }

    /** Arms each vCPU for its action and lets the chosen ones run; the stop reply comes later. */
    private String resume(Action[] actions) {
        boolean[] run = new boolean[actions.length];
        for (int i = 0; i < actions.length; i++) {
            control.vcpu(i).setDebug(points.settings(actions[i] == Action.STEP));
            run[i] = actions[i] != Action.NONE;
        }
        running = true;
        control.resume(run, points::stillInserted);
        return null;
    }

    /** The {@code T} stop reply: signal, thread, and what was hit. */
    String stopReply(StopRecord stop) {
        StringBuilder sb = new StringBuilder(String.format("T%02x", stop.signal()));
        VcpuExit.Debug e = stop.event();
        if (e != null && e.reason() == VcpuExit.Debug.Reason.WATCHPOINT) {
            DebugSettings.Kind kind = points.watchKind(e.address());
            String name = kind == DebugSettings.Kind.READ ? "rwatch" : kind == DebugSettings.Kind.ACCESS ? "awatch" : "watch";
            sb.append(name).append(':').append(Long.toHexString(e.address())).append(';');
        } else if (e != null && e.reason() == VcpuExit.Debug.Reason.BREAKPOINT) {
            sb.append(points.isSoftwareBreakpoint(e.address()) ? "swbreak:;" : "hwbreak:;");
        }
        sb.append("thread:").append(Integer.toHexString(stop.vcpu() + 1)).append(';');
        return sb.toString();
    }

    private Vcpu vcpu(int index) {
        return control.vcpu(index);
    }

    /** Removes every breakpoint and lets the VM run on without the debugger. */
    private void detach() {
        points.clear();
        try {
            // Debug settings change only while the vCPUs are held.
            if (control.isStopped() || control.stopAndWait(StopRecord.interrupt(0), 10, TimeUnit.SECONDS) != null) {
                for (int i = 0; i < control.vcpuCount(); i++) {
                    control.vcpu(i).setDebug(DebugSettings.NONE);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        control.releaseAll();
        ended = true;
    }

    private void killVm() {
        LOG.info("the debugger killed the VM");
        points.clear();
        ended = true;
        kill.run();
    }
}
