package dev.jvisor.virtio.pci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.virtio.RecordingInterrupts;
import dev.jvisor.virtio.RecordingInterrupts.Msi;
import org.junit.jupiter.api.Test;

/** The MSI-X table on its own (PCI 3.0 section 6.8.2). */
class MsixTableTest {
    private final RecordingInterrupts interrupts = new RecordingInterrupts();
    private final MsixTable table = new MsixTable(interrupts, 70);

    private void program(int v, long address, int data) {
        table.writeTable(16L * v, 8, address);
        table.writeTable(16L * v + 8, 4, data);
    }

    @Test
    void sizesFollowTheVectorCount() {
        assertThat(table.size()).isEqualTo(70);
        assertThat(table.tableBytes()).isEqualTo(70 * 16);
        assertThat(table.pbaBytes()).isEqualTo(16);
        assertThatThrownBy(() -> new MsixTable(interrupts, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> table.fire(70)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nothingIsSentWhileDisabled() {
        program(0, 0xFEE0_0000L, 1);
        table.writeTable(12, 4, 0);
        table.fire(0);
        assertThat(interrupts.msis()).isEmpty();
        assertThat(table.isPending(0)).isFalse();
    }

    @Test
    void vectorsAboveSixtyThreeUseTheSecondPbaWord() {
        table.setControl(true, false);
        program(65, 0xFEE0_2000L, 0x65);
        assertThat(table.isMasked(65)).isTrue();
        table.fire(65);
        assertThat(table.isPending(65)).isTrue();
        assertThat(table.readPba(8, 8)).isEqualTo(0b10);
        assertThat(table.readPba(12, 4)).isZero();

        table.writeTable(16L * 65 + 12, 4, 0);
        assertThat(table.isMasked(65)).isFalse();
        assertThat(table.isPending(65)).isFalse();
        assertThat(interrupts.msis()).containsExactly(new Msi(0xFEE0_2000L, 0x65));
        assertThat(table.deliveredCount()).isEqualTo(1);
    }

    @Test
    void upperAddressAndReservedControlBits() {
        table.setControl(true, false);
        table.writeTable(0, 4, 0xFEE0_0000L);
        table.writeTable(4, 4, 0x1);
        table.writeTable(8, 4, 0x77);
        table.writeTable(12, 4, 0xFFFF_FFFEL);
        assertThat(table.readTable(12, 4)).as("only the mask bit is writable").isZero();
        table.fire(0);
        assertThat(interrupts.msis()).containsExactly(new Msi(0x1_FEE0_0000L, 0x77));
    }
}
