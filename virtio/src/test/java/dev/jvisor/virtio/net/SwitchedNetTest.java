package dev.jvisor.virtio.net;

import static dev.jvisor.virtio.queue.MockQueue.Buffer.readable;
import static dev.jvisor.virtio.queue.MockQueue.Buffer.writable;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.PortOptions;
import dev.jvisor.io.net.SwitchPort;
import dev.jvisor.io.net.VirtualSwitch;
import dev.jvisor.virtio.DeviceHarness;
import dev.jvisor.virtio.queue.MockQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two virtio-net devices on one io {@link VirtualSwitch}: a frame from one reaches the other. */
class SwitchedNetTest {
    private static final MacAddress MAC_A = MacAddress.parse("52:54:00:00:00:0a");
    private static final MacAddress MAC_B = MacAddress.parse("52:54:00:00:00:0b");

    private final VirtualSwitch hub = new VirtualSwitch("test");
    private final SwitchPort portA = hub.connect(MAC_A, PortOptions.filtered());
    private final SwitchPort portB = hub.connect(MAC_B, PortOptions.filtered());
    private final DeviceHarness a = new DeviceHarness(new VirtioNet("a", portA, NetOptions.defaults()), 64, VirtioNet.F_MRG_RXBUF);
    private final DeviceHarness b = new DeviceHarness(new VirtioNet("b", portB, NetOptions.defaults()), 64, VirtioNet.F_MRG_RXBUF);

    @AfterEach
    void close() {
        a.close();
        b.close();
        portA.close();
        portB.close();
    }

    private static byte[] frame(MacAddress dst, MacAddress src, int payload) {
        byte[] f = new byte[14 + payload];
        System.arraycopy(dst.toBytes(), 0, f, 0, 6);
        System.arraycopy(src.toBytes(), 0, f, 6, 6);
        f[12] = 0x08; // IPv4 ethertype; the payload is arbitrary
        for (int i = 0; i < payload; i++) {
            f[14 + i] = (byte) i;
        }
        return f;
    }

    @Test
    void frameFromOneGuestArrivesAtTheOther() throws Exception {
        a.activate();
        b.activate();
        MockQueue rxB = b.queue(VirtioNet.RX);
        long buffer = rxB.allocate(2048);
        rxB.addChain(writable(buffer, 2048));
        b.notifyQueue(VirtioNet.RX);

        byte[] sent = frame(MAC_B, MAC_A, 100);
        MockQueue txA = a.queue(VirtioNet.TX);
        txA.addChain(readable(txA.allocate(VirtioNet.HEADER), VirtioNet.HEADER), readable(txA.allocate(sent), sent.length));
        a.notifyQueue(VirtioNet.TX);

        assertThat(b.awaitUsed(VirtioNet.RX, 1)).isTrue();
        assertThat(rxB.used(0).length()).isEqualTo(VirtioNet.HEADER + sent.length);
        assertThat(b.memory.read(buffer + VirtioNet.HEADER, sent.length)).isEqualTo(sent);
    }

    @Test
    void spoofedSourceMacIsDroppedByTheSwitch() throws Exception {
        a.activate();
        b.activate();
        MockQueue rxB = b.queue(VirtioNet.RX);
        rxB.addChain(writable(rxB.allocate(2048), 2048));
        b.notifyQueue(VirtioNet.RX);

        byte[] spoofed = frame(MAC_B, MacAddress.parse("52:54:00:00:00:99"), 60);
        MockQueue txA = a.queue(VirtioNet.TX);
        txA.addChain(readable(txA.allocate(VirtioNet.HEADER), VirtioNet.HEADER), readable(txA.allocate(spoofed), spoofed.length));
        a.notifyQueue(VirtioNet.TX);

        assertThat(a.awaitUsed(VirtioNet.TX, 1)).isTrue();
        assertThat(((VirtioNet) a.device).txDropped()).isEqualTo(1);
        assertThat(rxB.usedIdx()).isZero();
    }
}
