package dev.jvisor.conformance;

import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VmOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntUnaryOperator;
import java.util.function.IntConsumer;

/**
 * The machine model of the conformance guests: records every port and MMIO access in order,
 * answers port reads from a scriptable source and MMIO reads from a test device, and treats a
 * write to {@link #EXIT_PORT} as the end of the run (it kicks the vCPU that wrote it, like QEMU's
 * isa-debug-exit). A write to {@link #DOORBELL_PORT} calls a test-supplied action, so a guest can
 * ask the test to raise an interrupt. Thread-safe.
 */
public final class TestMachine implements VmOps {
    /** A write here ends the run of the writing vCPU; the value is kept in {@link #exitValue}. */
    public static final int EXIT_PORT = 0xf4;
    /** A write here runs {@link #onDoorbell} with the value written. */
    public static final int DOORBELL_PORT = 0xf5;
    /** The MMIO test device: [0xd0000000, 0xd0001000). */
    public static final long DEVICE_BASE = 0xd000_0000L, DEVICE_SIZE = 0x1000;

    /** One access as the machine saw it. {@code kind} is in, out, mmio-read or mmio-write. */
    public record Access(String kind, long address, int size, long value) {
        @Override
        public String toString() {
            return String.format("%s 0x%x/%d=0x%x", kind, address, size, value);
        }
    }

    private final ThreadLocal<Vcpu> current = new ThreadLocal<>();
    private final List<Access> accesses = new ArrayList<>();
    private final Map<Integer, Long> exitValues = new ConcurrentHashMap<>();
    private volatile IntUnaryOperator portSource = port -> 0xffff_ffff;
    private volatile IntConsumer onDoorbell = value -> { };

    /** Declares which vCPU the calling thread runs, so the exit port can kick it. */
    public void runningOn(Vcpu vcpu) {
        current.set(vcpu);
    }

    /** Port reads of any size return the low bytes of {@code source(port)}. */
    public void portSource(IntUnaryOperator source) {
        this.portSource = source;
    }

    /** What a write to {@link #DOORBELL_PORT} does (called on the vCPU thread). */
    public void onDoorbell(IntConsumer action) {
        this.onDoorbell = action;
    }

    /** The value vCPU {@code index} wrote to the exit port, or null if it has not. */
    public Long exitValue(int index) {
        return exitValues.get(index);
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
        } else if (port == DOORBELL_PORT) {
            onDoorbell.accept((int) value);
        }
    }

    /** Test-device reads: 0xa1, 0xb2b1, 0xc4c3c2c1 or 0xd8d7d6d5d4d3d2d1 by size, plus the offset in the top byte's place. */
    @Override
    public long mmioRead(long address, int size) {
        long value;
        if (address >= DEVICE_BASE && address < DEVICE_BASE + DEVICE_SIZE) {
            value = deviceValue(address - DEVICE_BASE, size);
        } else {
            value = -1L & mask(size);
        }
        record("mmio-read", address, size, value);
        return value;
    }

    /** The value the test device returns for a read of {@code size} bytes at {@code offset}. */
    public static long deviceValue(long offset, int size) {
        long pattern = switch (size) {
            case 1 -> 0xa1L;
            case 2 -> 0xb2b1L;
            case 4 -> 0xc4c3c2c1L;
            default -> 0xd8d7d6d5d4d3d2d1L;
        };
        // Fold the offset in, so a read from the wrong offset shows in the value.
        return (pattern ^ (offset & 0xff)) & mask(size);
    }

    @Override
    public void mmioWrite(long address, int size, long value) {
        record("mmio-write", address, size, value);
    }

    private synchronized void record(String kind, long address, int size, long value) {
        accesses.add(new Access(kind, address, size, value));
    }

    /** Every access so far, in order. */
    public synchronized List<Access> accesses() {
        return List.copyOf(accesses);
    }

    /** The accesses of one kind, in order. */
    public synchronized List<Access> accesses(String kind) {
        return accesses.stream().filter(a -> a.kind.equals(kind)).toList();
    }

    /** The port writes to {@code port}, in order. */
    public synchronized List<Long> outs(int port) {
        return accesses.stream().filter(a -> a.kind.equals("out") && a.address == port).map(Access::value).toList();
    }

    static long mask(int size) {
        return size >= 8 ? -1L : (1L << (8 * size)) - 1;
    }
}
