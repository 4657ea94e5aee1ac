package dev.jvisor.kvm;

import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VmOps;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntUnaryOperator;

/**
 * A machine model for tests: records every port and MMIO access, answers reads from a scripted
 * port source and an MMIO test device, and treats a write to {@link #EXIT_PORT} as "guest done":
 * it remembers the value and kicks the vCPU that wrote it, so {@code run()} returns.
 */
final class TestOps implements VmOps {
    /** A write here ends the run of the writing vCPU (like QEMU's isa-debug-exit). */
    static final int EXIT_PORT = 0xf4;
    /** A write here counts down {@link #ready}, telling the test the guest reached a known point. */
    static final int READY_PORT = 0xf5;
    /** The MMIO test device: [0xd0000000, 0xd0001000). */
    static final long DEVICE_BASE = 0xd000_0000L, DEVICE_SIZE = 0x1000;

    record Access(String kind, long address, int size, long value) {
    }

    private final ThreadLocal<Vcpu> current = new ThreadLocal<>();
    private final List<Access> accesses = new ArrayList<>();
    private final Map<Integer, ByteArrayOutputStream> output = new ConcurrentHashMap<>();
    final Map<Integer, Long> exitValues = new ConcurrentHashMap<>();
    final CountDownLatch ready = new CountDownLatch(1);
    volatile IntUnaryOperator portSource = port -> 0xff;

    /** Declares which vCPU the calling thread runs, so the exit port can kick it. */
    void runningOn(Vcpu vcpu) {
        current.set(vcpu);
    }

    @Override
    public long pioRead(int port, int size) {
        long value = portSource.applyAsInt(port) & mask(size);
        record("in", port, size, value);
        return value;
    }

    @Override
    public void pioWrite(int port, int size, long value) {
        record("out", port, size, value);
        if (port == EXIT_PORT) {
            Vcpu vcpu = current.get();
            exitValues.put(vcpu == null ? 0 : vcpu.index(), value);
            if (vcpu != null) {
                vcpu.kick();
            }
        } else if (port == READY_PORT) {
            ready.countDown();
        } else if (size == 1) {
            output.computeIfAbsent(port, p -> new ByteArrayOutputStream()).write((int) value);
        }
    }

    /** Test device reads: 0xa1, 0xb2b1, 0xc4c3c2c1, 0xd8d7d6d5d4d3d2d1 by size, anywhere in the device. */
    @Override
    public long mmioRead(long address, int size) {
        long value = address >= DEVICE_BASE && address < DEVICE_BASE + DEVICE_SIZE ? switch (size) {
            case 1 -> 0xa1L;
            case 2 -> 0xb2b1L;
            case 4 -> 0xc4c3c2c1L;
            default -> 0xd8d7d6d5d4d3d2d1L;
        } : -1L & mask(size);
        record("mmio-read", address, size, value);
        return value;
    }

    @Override
    public void mmioWrite(long address, int size, long value) {
        record("mmio-write", address, size, value);
    }

    private synchronized void record(String kind, long address, int size, long value) {
        accesses.add(new Access(kind, address, size, value));
    }

    synchronized List<Access> accesses() {
        return List.copyOf(accesses);
    }

    /** Accesses of one kind to one address. */
    synchronized List<Access> accesses(String kind, long address) {
        return accesses.stream().filter(a -> a.kind.equals(kind) && a.address == address).toList();
    }

    /** The bytes written to {@code port} one at a time, as text. */
    String text(int port) {
        ByteArrayOutputStream out = output.get(port);
        return out == null ? "" : out.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static long mask(int size) {
        return size == 8 ? -1L : (1L << (8 * size)) - 1;
    }
}
