package dev.jvisor.irqchip;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.jvisor.irqchip.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Device threads, vCPU threads and IPIs all at once: two level-triggered devices and one MSI device
 * each hand-shake every interrupt with their driver, so every interrupt must arrive exactly once,
 * and nothing may deadlock. The timeout only guards against a hang.
 */
@Timeout(120)
class ConcurrencyTest {
    private static final int ROUNDS = 3_000;

    /** A device that raises its interrupt, then waits until the driver has serviced it. */
    private static final class Device {
        final Semaphore serviced = new Semaphore(0);
        final AtomicInteger handled = new AtomicInteger();
    }

    @Test
    void levelLinesMsisAndIpisUnderContention() throws Exception {
        Platform platform = new Platform(new VirtualClock(), 2);
        for (int cpu = 0; cpu < 2; cpu++) {
            platform.lapic(cpu).mmioWrite(SVR, 4, 0x1FF);
        }
        programPin(platform, 10, 1L << 15 | 0x3A); // level, CPU 0
        programPin(platform, 11, 1L << 15 | 1L << 56 | 0x3B); // level, CPU 1
        Device lineA = new Device();
        Device lineB = new Device();
        Device msi = new Device();
        AtomicInteger ipis = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();

        Thread[] devices = {
                deviceThread(lineA, () -> platform.lines().setLevel(10, true), failure),
                deviceThread(lineB, () -> platform.lines().setLevel(11, true), failure),
                deviceThread(msi, () -> platform.lines().signalMsi(0xFEE0_1000L, 0x61), failure)};
        Thread[] cpus = new Thread[2];
        for (int cpu = 0; cpu < 2; cpu++) {
            int self = cpu;
            cpus[cpu] = Thread.ofPlatform().name("vcpu-" + cpu).start(() -> {
                try {
                    LocalApic apic = platform.lapic(self);
                    while (lineA.handled.get() + lineB.handled.get() + msi.handled.get() < 3 * ROUNDS) {
                        platform.waitForInterrupt(self, platform.clock().nanos() + 1_000_000);
                        while (apic.interruptPending()) {
                            int vector = apic.acknowledge();
                            switch (vector) {
                                case 0x3A -> {
                                    platform.lines().setLevel(10, false); // the driver quietens the device
                                    apic.mmioWrite(ICR_HIGH, 4, 1L << 24);
                                    apic.mmioWrite(ICR_LOW, 4, 0xF3); // IPI to CPU 1
                                    service(lineA);
                                }
                                case 0x3B -> {
                                    platform.lines().setLevel(11, false);
                                    service(lineB);
                                }
                                case 0x61 -> service(msi);
                                case 0xF3 -> ipis.incrementAndGet();
                                default -> throw new AssertionError("unexpected vector " + vector + " on CPU " + self);
                            }
                            apic.mmioWrite(EOI, 4, 0);
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
        }
        for (Thread device : devices) {
            device.join();
        }
        for (Thread cpu : cpus) {
            cpu.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(lineA.handled).hasValue(ROUNDS);
        assertThat(lineB.handled).hasValue(ROUNDS);
        assertThat(msi.handled).hasValue(ROUNDS);
        // IPIs to a CPU that has not taken the previous one yet merge in its IRR.
        assertThat(ipis.get()).isBetween(1, ROUNDS);
        assertThat(platform.ioapic().redirectionEntry(10) & 1L << 14).as("remote IRR").isZero();
    }

    private static void service(Device device) {
        device.handled.incrementAndGet();
        device.serviced.release();
    }

    private static Thread deviceThread(Device device, Runnable raise, AtomicReference<Throwable> failure) {
        return Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < ROUNDS; i++) {
                    raise.run();
                    device.serviced.acquire();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
    }

    private static void programPin(Platform platform, int pin, long entry) {
        platform.mmioWrite(IOAPIC, 4, 0x11 + 2 * pin);
        platform.mmioWrite(IOAPIC + 0x10, 4, entry >>> 32);
        platform.mmioWrite(IOAPIC, 4, 0x10 + 2 * pin);
        platform.mmioWrite(IOAPIC + 0x10, 4, entry & 0xFFFF_FFFFL);
    }
}
