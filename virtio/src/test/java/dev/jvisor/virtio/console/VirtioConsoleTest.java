package dev.jvisor.virtio.console;

import static dev.jvisor.virtio.queue.MockQueue.Buffer.readable;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.virtio.DeviceHarness;
import dev.jvisor.virtio.queue.MockQueue;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class VirtioConsoleTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private VirtioConsole console;
    private DeviceHarness harness;
    private MockQueue rx;
    private MockQueue tx;

    @BeforeEach
    void setUp() throws Exception {
        console = new VirtioConsole("hvc0", out);
        harness = new DeviceHarness(console, 16, 0).activate();
        rx = harness.queue(VirtioConsole.RECEIVE);
        tx = harness.queue(VirtioConsole.TRANSMIT);
    }

    @AfterEach
    void close() {
        harness.close();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void guestOutputReachesTheHostStream() throws Exception {
        tx.addChain(readable(tx.allocate(ascii("hello, ")), 7), readable(tx.allocate(ascii("world\n")), 6));
        tx.addChain(readable(tx.allocate(ascii("second")), 6));
        harness.notifyQueue(VirtioConsole.TRANSMIT);
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("hello, world\nsecond");
        assertThat(tx.usedIdx()).isEqualTo(2);
    }

    @Test
    void emergencyWriteOutputsOneCharacter() {
        console.writeConfig(VirtioConsole.CFG_EMERG_WR, 4, 'X');
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("X");
        assertThat(console.readConfig(VirtioConsole.CFG_MAX_NR_PORTS, 4)).isEqualTo(1);
        assertThat(console.offeredFeatures() & VirtioConsole.F_EMERG_WRITE).isNotZero();
    }

    @Test
    void hostInputWaitsForReceiveBuffersThenFillsThem() throws Exception {
        assertThat(console.offerInput(ascii("typed early"), 0, 11)).isEqualTo(11);
        assertThat(console.pendingInput()).isEqualTo(11);
        long small = rx.allocate(5);
        long big = rx.allocate(64);
        rx.addChain(writable(small, 5));
        rx.addChain(writable(big, 64));
        harness.notifyQueue(VirtioConsole.RECEIVE);

        assertThat(rx.usedIdx()).isEqualTo(2);
        assertThat(rx.used(0).length()).isEqualTo(5);
        assertThat(rx.used(1).length()).isEqualTo(6);
        assertThat(harness.memory.read(small, 5)).isEqualTo(ascii("typed"));
        assertThat(harness.memory.read(big, 6)).isEqualTo(ascii(" early"));
        assertThat(console.pendingInput()).isZero();
    }

    @Test
    void inputBufferIsBounded() {
        byte[] lots = new byte[VirtioConsole.INPUT_BUFFER + 100];
        assertThat(console.offerInput(lots, 0, lots.length)).isEqualTo(VirtioConsole.INPUT_BUFFER);
        assertThat(console.offerInput(lots, 0, 1)).isZero();
    }

    @Test
    void attachedInputStreamIsPumpedIntoTheGuest() throws Exception {
        long buffer = rx.allocate(64);
        rx.addChain(writable(buffer, 64));
        harness.notifyQueue(VirtioConsole.RECEIVE);
        console.attachInput(new ByteArrayInputStream(ascii("ls -l\n")));
        assertThat(harness.awaitUsed(VirtioConsole.RECEIVE, 1)).isTrue();
        assertThat(harness.memory.read(buffer, 6)).isEqualTo(ascii("ls -l\n"));
    }
}
