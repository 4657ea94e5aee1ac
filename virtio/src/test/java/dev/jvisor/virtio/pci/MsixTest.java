package dev.jvisor.virtio.pci;

import static dev.jvisor.virtio.pci.VirtioPciLayout.*;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.virtio.RecordingInterrupts.Msi;
import dev.jvisor.virtio.queue.MockQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** MSI-X through the transport: vector assignment, table programming, masking and the PBA. */
class MsixTest {
    private static final int ENABLE = 0x8000;
    private static final int FUNCTION_MASK = 0x4000;

    private final ProbeDevice device = new ProbeDevice();
    private final PciBench bench = new PciBench(device);
    private MockQueue q0;

    @BeforeEach
    void setUp() {
        q0 = new MockQueue(bench.memory, 16, 0x10000, 0x100000);
    }

    @AfterEach
    void close() {
        bench.close();
    }

    private void programVector(int vector, long address, int data, boolean masked) {
        long entry = MSIX_TABLE_OFFSET + 16L * vector;
        bench.write(entry, 4, address);
        bench.write(entry + 4, 4, address >>> 32);
        bench.write(entry + 8, 4, data);
        bench.write(entry + 12, 4, masked ? 1 : 0);
    }

    private void enableMsix(int extraBits) {
        bench.cfgWrite(bench.msixCapability + 2, 2, ENABLE | extraBits);
    }

    /** Linux's order: enable MSI-X, assign vectors (config 0, queue i → i + 1), then start. */
    private void startWithVectors() {
        enableMsix(0);
        programVector(0, 0xFEE0_0000L, 0x30, false);
        programVector(1, 0xFEE0_1000L, 0x31, false);
        bench.negotiate(dev.jvisor.virtio.VirtioFeatures.VERSION_1);
        bench.common(CommonConfig.CONFIG_MSIX_VECTOR, 2, 0);
        bench.setUpQueue(0, q0);
        bench.common(CommonConfig.QUEUE_SELECT, 2, 0);
        bench.common(CommonConfig.QUEUE_MSIX_VECTOR, 2, 1);
        bench.driverOk();
    }

    @Test
    void tableEntriesStartMaskedAndReadBackAsWritten() {
        assertThat(bench.read(MSIX_TABLE_OFFSET + 12, 4)).isEqualTo(1);
        programVector(2, 0xFEE0_3004L, 0x4041, false);
        assertThat(bench.read(MSIX_TABLE_OFFSET + 32, 8)).isEqualTo(0xFEE0_3004L);
        assertThat(bench.read(MSIX_TABLE_OFFSET + 40, 4)).isEqualTo(0x4041);
        assertThat(bench.read(MSIX_TABLE_OFFSET + 44, 4)).isZero();
        bench.write(MSIX_TABLE_OFFSET + 32, 4, 0xFEE0_0007L);
        assertThat(bench.read(MSIX_TABLE_OFFSET + 32, 4)).as("address bits 1:0 are reserved").isEqualTo(0xFEE0_0004L);
        assertThat(bench.read(MSIX_TABLE_OFFSET + 33, 4)).as("unaligned").isZero();
        assertThat(bench.read(MSIX_TABLE_OFFSET + 32, 2)).as("word access").isZero();
    }

    @Test
    void vectorsOutsideTheTableReadBackAsNoVector() {
        bench.common(CommonConfig.CONFIG_MSIX_VECTOR, 2, 3);
        assertThat(bench.common(CommonConfig.CONFIG_MSIX_VECTOR, 2)).isEqualTo(0xFFFF);
        bench.common(CommonConfig.CONFIG_MSIX_VECTOR, 2, 2);
        assertThat(bench.common(CommonConfig.CONFIG_MSIX_VECTOR, 2)).isEqualTo(2);
        bench.common(CommonConfig.QUEUE_SELECT, 2, 1);
        bench.common(CommonConfig.QUEUE_MSIX_VECTOR, 2, 0x800);
        assertThat(bench.common(CommonConfig.QUEUE_MSIX_VECTOR, 2)).isEqualTo(0xFFFF);
    }

    @Test
    void queueInterruptGoesToTheQueueVectorAndNotToIntx() {
        startWithVectors();
        q0.addChain(writable(q0.allocate(4), 4));
        bench.notifyQueue(0);

        assertThat(bench.interrupts.msis()).containsExactly(new Msi(0xFEE0_1000L, 0x31));
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isFalse();
        assertThat(bench.readIsr()).as("queue interrupts do not touch the ISR with MSI-X").isZero();
    }

    @Test
    void configInterruptGoesToTheConfigVectorAndSetsIsrBitOne() {
        startWithVectors();
        device.changeConfig();
        assertThat(bench.interrupts.msis()).containsExactly(new Msi(0xFEE0_0000L, 0x30));
        assertThat(bench.readIsr()).isEqualTo(2);
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isFalse();
    }

    @Test
    void maskedVectorSetsItsPendingBitAndFiresOnUnmask() {
        startWithVectors();
        bench.write(MSIX_TABLE_OFFSET + 16 + 12, 4, 1); // mask vector 1
        q0.addChain(writable(q0.allocate(4), 4));
        bench.notifyQueue(0);

        assertThat(bench.interrupts.msis()).isEmpty();
        assertThat(bench.read(MSIX_PBA_OFFSET, 8)).isEqualTo(0b10);

        bench.write(MSIX_TABLE_OFFSET + 16 + 12, 4, 0);
        assertThat(bench.interrupts.msis()).containsExactly(new Msi(0xFEE0_1000L, 0x31));
        assertThat(bench.read(MSIX_PBA_OFFSET, 8)).isZero();
    }

    @Test
    void functionMaskHoldsEveryVector() {
        startWithVectors();
        enableMsix(FUNCTION_MASK);
        q0.addChain(writable(q0.allocate(4), 4));
        bench.notifyQueue(0);
        device.changeConfig();
        assertThat(bench.interrupts.msis()).isEmpty();
        assertThat(bench.read(MSIX_PBA_OFFSET, 4)).isEqualTo(0b11);

        enableMsix(0);
        assertThat(bench.interrupts.msis()).containsExactlyInAnyOrder(
                new Msi(0xFEE0_0000L, 0x30), new Msi(0xFEE0_1000L, 0x31));
    }

    @Test
    void noVectorMeansNoInterrupt() {
        enableMsix(0);
        bench.start(0, q0);
        q0.addChain(writable(q0.allocate(4), 4));
        bench.notifyQueue(0);
        assertThat(q0.usedIdx()).isEqualTo(1);
        assertThat(bench.interrupts.msis()).isEmpty();
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isFalse();
    }

    @Test
    void disablingMsixFallsBackToIntx() {
        startWithVectors();
        bench.cfgWrite(bench.msixCapability + 2, 2, 0);
        q0.addChain(writable(q0.allocate(4), 4));
        bench.notifyQueue(0);
        assertThat(bench.interrupts.msis()).isEmpty();
        assertThat(bench.interrupts.isHigh(bench.intxGsi())).isTrue();
        assertThat(bench.readIsr()).isEqualTo(1);
    }

    @Test
    void pbaIsReadOnly() {
        bench.write(MSIX_PBA_OFFSET, 8, -1L);
        assertThat(bench.read(MSIX_PBA_OFFSET, 8)).isZero();
    }
}
