package dev.jvisor.io.net.slirp;

import static dev.jvisor.io.net.Packets.ETH_ARP;
import static dev.jvisor.io.net.Packets.ETH_IPV4;
import static dev.jvisor.io.net.Packets.PROTO_ICMP;
import static dev.jvisor.io.net.Packets.PROTO_TCP;
import static dev.jvisor.io.net.Packets.PROTO_UDP;
import static dev.jvisor.io.net.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.NetBackend;
import dev.jvisor.io.net.Packets;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * libslirp through FFM with a synthetic guest made of hand-built packets. Every address involved is
 * virtual (10.0.2.0/24 inside libslirp) or the host's loopback: nothing leaves the machine, and no
 * DNS query is sent (it would go to the host's resolver).
 */
class SlirpBackendTest {
    private static final MacAddress GUEST = MacAddress.parse("52:54:00:12:34:56");
    private static final int GUEST_IP = ip(10, 0, 2, 15), GATEWAY = ip(10, 0, 2, 2);

    @BeforeAll
    static void needLibslirp() {
        assumeTrue(SlirpBackend.isAvailable(), "libslirp.so.0 not installed (apt-get install libslirp0)");
    }

    /** Waits (bounded) for a frame from slirp matching {@code match}, answering ARP requests for the guest meanwhile. */
    private static ByteBuffer await(NetBackend net, Semaphore arrived, Predicate<ByteBuffer> match) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        ByteBuffer buf = ByteBuffer.allocate(NetBackend.MAX_FRAME);
        while (System.nanoTime() < deadline) {
            while (net.receive(buf.clear()) >= 0) {
                buf.flip();
                ByteBuffer f = ByteBuffer.allocate(buf.remaining()).put(buf).flip();
                if (Packets.etherType(f) == ETH_ARP && f.getShort(20) == 1 && f.getInt(38) == GUEST_IP) {
                    net.send(Packets.arpReply(GUEST, GUEST_IP, f)); // slirp looks up the guest before sending to it
                    continue;
                }
                if (match.test(f)) {
                    return f;
                }
            }
            arrived.tryAcquire(100, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError("no matching frame from libslirp");
    }

    private static SlirpBackend start(List<HostForward> forwards, Semaphore arrived) throws IOException {
        SlirpBackend net = SlirpBackend.start(GUEST, SlirpOptions.defaults(forwards));
        net.setFrameListener(arrived::release);
        return net;
    }

    @Test
    void dhcpDiscoverGetsAnOfferOf10_0_2_15() throws Exception {
        Semaphore arrived = new Semaphore(0);
        try (SlirpBackend net = start(List.of(), arrived)) {
            assertThat(SlirpBackend.libraryVersion()).startsWith("4.");
            assertThat(net.send(Packets.dhcpDiscover(GUEST, 0x1234abcd))).isTrue();
            ByteBuffer offer = await(net, arrived, f -> Packets.etherType(f) == ETH_IPV4 && Packets.ipProto(f) == PROTO_UDP
                    && f.getShort(34) == 67 && f.getShort(36) == 68);
            int bootp = 42;
            assertThat(offer.get(bootp)).as("BOOTREPLY").isEqualTo((byte) 2);
            assertThat(offer.getInt(bootp + 4)).as("xid").isEqualTo(0x1234abcd);
            assertThat(offer.getInt(bootp + 16)).as("yiaddr").isEqualTo(GUEST_IP);
            assertThat(offer.getInt(bootp + 236)).isEqualTo(0x63825363);
            assertThat(offer.get(bootp + 240)).isEqualTo((byte) 53);
            assertThat(offer.get(bootp + 242)).as("DHCPOFFER").isEqualTo((byte) 2);
            assertThat(net.stats().rxFrames()).isPositive();
        }
    }

    @Test
    void gatewayAnswersArpAndPing() throws Exception {
        Semaphore arrived = new Semaphore(0);
        try (SlirpBackend net = start(List.of(), arrived)) {
            net.send(Packets.arpRequest(GUEST, GUEST_IP, GATEWAY));
            ByteBuffer reply = await(net, arrived, f -> Packets.etherType(f) == ETH_ARP && f.getShort(20) == 2);
            assertThat(reply.getInt(28)).as("sender IP").isEqualTo(GATEWAY);
            MacAddress gatewayMac = new MacAddress(MacAddress.bitsAt(reply, 22));
            assertThat(new MacAddress(MacAddress.bitsAt(reply, 0))).isEqualTo(GUEST);

            net.send(Packets.icmpEcho(gatewayMac, GUEST, GUEST_IP, GATEWAY, 77, 1));
            ByteBuffer pong = await(net, arrived, f -> Packets.etherType(f) == ETH_IPV4 && Packets.ipProto(f) == PROTO_ICMP);
            assertThat(pong.get(34)).as("echo reply").isEqualTo((byte) 0);
            assertThat(pong.getShort(38)).isEqualTo((short) 77);
            assertThat(pong.getInt(26)).isEqualTo(GATEWAY);
            assertThat(pong.getInt(30)).isEqualTo(GUEST_IP);
        }
    }

    @Test
    void hostForwardReachesATcpServerInTheGuest() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort(); // a free loopback port for the forward
        }
        Semaphore arrived = new Semaphore(0);
        try (SlirpBackend net = start(List.of(HostForward.parse("tcp:127.0.0.1:" + port + "-:22")), arrived)) {
            CompletableFuture<String> hostSide = CompletableFuture.supplyAsync(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    s.setSoTimeout(20_000);
                    OutputStream out = s.getOutputStream();
                    out.write("ping\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    InputStream in = s.getInputStream();
                    byte[] got = in.readNBytes(5);
                    return new String(got, StandardCharsets.US_ASCII);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            // The synthetic guest's TCP: answer the SYN, then echo the data in upper case.
            ByteBuffer syn = await(net, arrived, f -> Packets.etherType(f) == ETH_IPV4 && Packets.ipProto(f) == PROTO_TCP
                    && (f.get(47) & 0x02) != 0);
            assertThat(syn.getInt(30)).isEqualTo(GUEST_IP);
            assertThat(syn.getShort(36)).isEqualTo((short) 22);
            MacAddress gw = new MacAddress(MacAddress.bitsAt(syn, 6));
            int peerIp = syn.getInt(26);
            int peerPort = syn.getShort(34) & 0xffff;
            long peerSeq = syn.getInt(38) & 0xffffffffL;
            long ourSeq = 1000;
            net.send(Packets.tcp(gw, GUEST, GUEST_IP, peerIp, 22, peerPort, ourSeq, peerSeq + 1, 0x12, new byte[0]));
            ByteBuffer data = await(net, arrived, f -> Packets.etherType(f) == ETH_IPV4 && Packets.ipProto(f) == PROTO_TCP
                    && f.getShort(16) - 40 > 0);
            int len = data.getShort(16) - 40;
            byte[] payload = new byte[len];
            data.get(54, payload);
            assertThat(new String(payload, StandardCharsets.US_ASCII)).isEqualTo("ping\n");
            long next = (data.getInt(38) & 0xffffffffL) + len;
            net.send(Packets.tcp(gw, GUEST, GUEST_IP, peerIp, 22, peerPort, ourSeq + 1, next, 0x18,
                    "PING\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(hostSide.get(30, TimeUnit.SECONDS)).isEqualTo("PING\n");
        }
    }

    @Test
    void busyHostPortIsAClearError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            HostForward f = HostForward.parse("tcp:127.0.0.1:" + taken.getLocalPort() + "-:22");
            assertThatThrownBy(() -> SlirpBackend.start(GUEST, SlirpOptions.defaults(List.of(f))))
                    .isInstanceOf(IOException.class).hasMessageContaining("host forward " + f).hasMessageContaining("in use");
        }
    }

    @Test
    void closedBackendRefusesFrames() throws Exception {
        SlirpBackend net = start(List.of(), new Semaphore(0));
        net.close();
        assertThatThrownBy(() -> net.send(Packets.arpRequest(GUEST, GUEST_IP, GATEWAY))).isInstanceOf(IOException.class)
                .hasMessageContaining("closed");
        net.close(); // idempotent
    }

    @Test
    void hostForwardSyntax() {
        HostForward f = HostForward.parse("tcp:127.0.0.1:8022-:22");
        assertThat(f.udp()).isFalse();
        assertThat(f.hostAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(f.hostPort()).isEqualTo(8022);
        assertThat(f.guestAddress()).isNull();
        assertThat(f.guestPort()).isEqualTo(22);
        assertThat(f).hasToString("tcp:127.0.0.1:8022-:22");
        HostForward u = HostForward.parse("udp::5353-10.0.2.15:53");
        assertThat(u.udp()).isTrue();
        assertThat(u.hostAddress().getHostAddress()).isEqualTo("0.0.0.0");
        assertThat(u.guestAddress().getHostAddress()).isEqualTo("10.0.2.15");
        assertThatThrownBy(() -> HostForward.parse("tcp:127.0.0.1:8022")).hasMessageContaining("expected [tcp|udp]");
        assertThatThrownBy(() -> HostForward.parse("tcp:127.0.0.1:0-:22")).hasMessageContaining("1-65535");
        assertThatThrownBy(() -> HostForward.parse("tcp:300.0.0.1:80-:22")).hasMessageContaining("bad IPv4 address");
        assertThatThrownBy(() -> new SlirpOptions(HostForward.ipv4("10.0.2.0", ""), HostForward.ipv4("255.255.255.0", ""),
                HostForward.ipv4("10.0.3.2", ""), HostForward.ipv4("10.0.2.15", ""), HostForward.ipv4("10.0.2.3", ""),
                "g", false, false, List.of())).hasMessageContaining("outside");
    }
}
