package dev.jvisor.io.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class VirtualSwitchTest {
    private static final MacAddress A = MacAddress.parse("02:00:00:00:00:0a");
    private static final MacAddress B = MacAddress.parse("02:00:00:00:00:0b");
    private static final MacAddress C = MacAddress.parse("02:00:00:00:00:0c");
    private final AtomicLong now = new AtomicLong();
    private final VirtualSwitch sw = new VirtualSwitch("test", now::get, 1_000);

    static ByteBuffer frame(MacAddress dst, MacAddress src, int payload) {
        ByteBuffer f = ByteBuffer.allocate(14 + payload);
        dst.putAt(f, 0);
        src.putAt(f, 6);
        f.putShort(12, (short) 0x88b5); // IEEE 802 local experimental ethertype
        for (int i = 0; i < payload; i++) {
            f.put(14 + i, (byte) i);
        }
        return f;
    }

    static int pending(NetBackend port) {
        int n = 0;
        ByteBuffer buf = ByteBuffer.allocate(NetBackend.MAX_FRAME);
        while (port.receive(buf.clear()) >= 0) {
            n++;
        }
        return n;
    }

    @Test
    void floodsUnknownThenForwardsLearnedUnicastOnly() throws IOException {
        // Unfiltered ports: nothing is pinned, every address must be learned from traffic.
        SwitchPort a = sw.connect(A, PortOptions.open());
        SwitchPort b = sw.connect(B, PortOptions.open());
        SwitchPort c = sw.connect(C, PortOptions.open());
        assertThat(a.send(frame(B, A, 50))).isTrue(); // B unknown: flooded to b and c
        assertThat(pending(b)).isEqualTo(1);
        assertThat(pending(c)).isEqualTo(1);
        assertThat(pending(a)).as("never back to the sender").isZero();
        assertThat(sw.lookup(A)).isSameAs(a);
        b.send(frame(A, B, 50)); // A learned: only a gets it
        assertThat(pending(a)).isEqualTo(1);
        assertThat(pending(c)).isZero();
        a.send(frame(B, A, 60)); // B learned now
        assertThat(pending(b)).isEqualTo(1);
        assertThat(pending(c)).isZero();
    }

    @Test
    void broadcastAndMulticastReachEveryOtherPort() throws IOException {
        SwitchPort a = sw.connect(A, PortOptions.filtered());
        SwitchPort b = sw.connect(B, PortOptions.filtered());
        SwitchPort c = sw.connect(C, PortOptions.filtered());
        a.send(frame(MacAddress.BROADCAST, A, 10));
        a.send(frame(MacAddress.parse("01:00:5e:00:00:01"), A, 10));
        assertThat(pending(b)).isEqualTo(2);
        assertThat(pending(c)).isEqualTo(2);
        assertThat(pending(a)).isZero();
    }

    @Test
    void frameContentArrivesIntact() throws IOException {
        SwitchPort a = sw.connect(A, PortOptions.filtered());
        SwitchPort b = sw.connect(B, PortOptions.filtered());
        ByteBuffer sent = frame(B, A, 1500);
        a.send(sent.duplicate());
        assertThat(b.nextFrameLength()).isEqualTo(1514);
        ByteBuffer got = ByteBuffer.allocate(2000);
        assertThat(b.receive(got)).isEqualTo(1514);
        assertThat(got.flip()).isEqualTo(sent.rewind());
        assertThat(b.nextFrameLength()).isEqualTo(-1);
        assertThat(a.stats().txFrames()).isEqualTo(1);
        assertThat(b.stats().rxBytes()).isEqualTo(1514);
    }

    @Test
    void macFilterDropsSpoofedSourcesAndPinsTheAddress() throws IOException {
        SwitchPort a = sw.connect(A, PortOptions.filtered());
        SwitchPort b = sw.connect(B, PortOptions.filtered());
        SwitchPort rogue = sw.connect(C, PortOptions.open());
        assertThat(b.send(frame(A, C, 10))).as("b pretends to be c").isFalse();
        assertThat(b.stats().txDropped()).isEqualTo(1);
        assertThat(rogue.send(frame(MacAddress.BROADCAST, A, 10))).as("unfiltered port spoofing a pinned MAC").isFalse();
        assertThat(sw.lookup(A)).isSameAs(a);
        assertThat(pending(a) + pending(b)).isZero();
        SwitchPort d = sw.connect(MacAddress.parse("02:00:00:00:00:0d"), PortOptions.filtered());
        rogue.send(frame(B, C, 10));
        assertThat(pending(b)).as("pinned addresses are known without traffic: no flooding").isEqualTo(1);
        assertThat(pending(d)).isZero();
        assertThatThrownBy(() -> sw.connect(A, PortOptions.filtered())).hasMessageContaining("already in use");
        assertThatThrownBy(() -> sw.connect(MacAddress.BROADCAST, PortOptions.filtered())).hasMessageContaining("multicast");
        // An unfiltered port may forward for other stations (a router): those sources are learned.
        MacAddress behindRouter = MacAddress.parse("02:00:00:00:00:99");
        assertThat(rogue.send(frame(A, behindRouter, 10))).isTrue();
        assertThat(sw.lookup(behindRouter)).isSameAs(rogue);
    }

    @Test
    void learnedAddressesAgeOutAndMove() throws IOException {
        SwitchPort a = sw.connect(A, PortOptions.open());
        SwitchPort b = sw.connect(B, PortOptions.open());
        SwitchPort c = sw.connect(C, PortOptions.open());
        a.send(frame(MacAddress.BROADCAST, A, 10));
        assertThat(sw.lookup(A)).isSameAs(a);
        now.addAndGet(1_001);
        assertThat(sw.lookup(A)).as("aged out").isNull();
        c.send(frame(MacAddress.BROADCAST, A, 10)); // A moved behind c
        assertThat(sw.lookup(A)).isSameAs(c);
        pending(a);
        pending(b);
        pending(c);
        b.send(frame(A, B, 10));
        assertThat(pending(c)).isEqualTo(1);
        assertThat(pending(a)).isZero();
    }

    @Test
    void badFramesAreDroppedAndClosedPortsForgotten() throws IOException {
        SwitchPort a = sw.connect(A, PortOptions.open());
        SwitchPort b = sw.connect(B, PortOptions.open());
        assertThat(a.send(ByteBuffer.allocate(13))).isFalse();
        assertThat(a.send(ByteBuffer.allocate(NetBackend.MAX_FRAME + 1))).isFalse();
        assertThat(a.send(frame(B, MacAddress.BROADCAST, 10))).as("group source").isFalse();
        a.send(frame(B, A, 10));
        a.close();
        assertThat(sw.lookup(A)).isNull();
        assertThat(sw.ports()).containsExactly(b);
        assertThatThrownBy(() -> a.send(frame(B, A, 10))).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    @Test
    void fullQueueDropsAndListenerFiresOnFirstFrame() throws IOException {
        SwitchPort a = sw.connect(A, PortOptions.filtered());
        SwitchPort b = sw.connect(B, new PortOptions(true, NetBackend.MAX_FRAME + 4));
        AtomicInteger wakeups = new AtomicInteger();
        b.setFrameListener(wakeups::incrementAndGet);
        for (int i = 0; i < 100; i++) {
            a.send(frame(B, A, 1500));
        }
        assertThat(wakeups.get()).isEqualTo(1);
        int queued = 43; // 65557 bytes of queue / 1518 per frame (with its length)
        assertThat(b.stats().rxDropped()).isEqualTo(100 - queued);
        assertThatThrownBy(() -> b.receive(ByteBuffer.allocate(100))).hasMessageContaining("smaller than the 1514-byte frame");
        assertThat(pending(b)).isEqualTo(queued);
        assertThat(b.stats().rxFrames()).isEqualTo(queued);
        a.send(frame(B, A, 10));
        assertThat(wakeups.get()).isEqualTo(2);
    }

    @Test
    void registryHandsOutOneSwitchPerName() {
        SwitchRegistry r = new SwitchRegistry();
        assertThat(r.getOrCreate("lan0")).isSameAs(r.getOrCreate("lan0"));
        assertThat(r.getOrCreate("lan1")).isNotSameAs(r.getOrCreate("lan0"));
        assertThat(r.names()).containsExactlyInAnyOrder("lan0", "lan1");
        assertThatThrownBy(() -> r.getOrCreate("bad name")).hasMessageContaining("bad switch name");
    }

    @Test
    void macAddressParsingAndFormatting() {
        assertThat(MacAddress.parse("52-54-00-AB-cd-0F").toString()).isEqualTo("52:54:00:ab:cd:0f");
        assertThatThrownBy(() -> MacAddress.parse("52:54:00:ab:cd")).hasMessageContaining("six hex octets");
        assertThatThrownBy(() -> MacAddress.parse("52:54:00:ab:cd:zz")).hasMessageContaining("'zz'");
        MacAddress r = MacAddress.randomLocal(new java.util.Random(1));
        assertThat(r.isMulticast()).isFalse();
        assertThat(r.toBytes()[0] & 0x02).isEqualTo(2);
    }
}
