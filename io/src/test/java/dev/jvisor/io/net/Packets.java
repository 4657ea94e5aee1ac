package dev.jvisor.io.net;

import java.nio.ByteBuffer;

/** Builds and parses the few Ethernet/IPv4/ARP/UDP/TCP/ICMP packets a synthetic test guest needs. */
public final class Packets {
    public static final int ETH_IPV4 = 0x0800, ETH_ARP = 0x0806;
    public static final int PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17;

    private Packets() {
    }

    public static int ip(int a, int b, int c, int d) {
        return a << 24 | b << 16 | c << 8 | d;
    }

    /** RFC 1071 ones'-complement sum of {@code len} bytes at {@code off}, folded, plus an initial sum. */
    public static int checksum(ByteBuffer b, int off, int len, int initial) {
        long sum = initial;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += b.getShort(off + i) & 0xffff;
        }
        if ((len & 1) != 0) {
            sum += (b.get(off + len - 1) & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    public static ByteBuffer ethernet(MacAddress dst, MacAddress src, int type, int payloadLength) {
        ByteBuffer f = ByteBuffer.allocate(14 + payloadLength);
        dst.putAt(f, 0);
        src.putAt(f, 6);
        f.putShort(12, (short) type);
        return f;
    }

    /** An Ethernet frame carrying an IPv4 packet whose payload ({@code payloadLength} bytes at offset 34) the caller fills. */
    public static ByteBuffer ipv4(MacAddress dst, MacAddress src, int srcIp, int dstIp, int proto, int payloadLength) {
        ByteBuffer f = ethernet(dst, src, ETH_IPV4, 20 + payloadLength);
        f.put(14, (byte) 0x45).putShort(16, (short) (20 + payloadLength)).putShort(18, (short) 1).put(22, (byte) 64)
                .put(23, (byte) proto).putInt(26, srcIp).putInt(30, dstIp);
        f.putShort(24, (short) checksum(f, 14, 20, 0));
        return f;
    }

    /** Fills in the UDP or TCP checksum of a frame built by {@link #ipv4} (pseudo-header included). */
    public static void transportChecksum(ByteBuffer f, int checksumOffsetInPayload) {
        int len = f.getShort(16) - 20;
        int pseudo = 0;
        pseudo += (f.getInt(26) >>> 16) + (f.getInt(26) & 0xffff) + (f.getInt(30) >>> 16) + (f.getInt(30) & 0xffff);
        pseudo += f.get(23) + len;
        f.putShort(34 + checksumOffsetInPayload, (short) 0);
        int c = checksum(f, 34, len, pseudo);
        f.putShort(34 + checksumOffsetInPayload, (short) (c == 0 ? 0xffff : c));
    }

    public static ByteBuffer dhcpDiscover(MacAddress mac, int xid) {
        int bootp = 300;
        ByteBuffer f = ipv4(MacAddress.BROADCAST, mac, 0, 0xffffffff, PROTO_UDP, 8 + bootp);
        f.putShort(34, (short) 68).putShort(36, (short) 67).putShort(38, (short) (8 + bootp));
        int b = 42;
        f.put(b, (byte) 1).put(b + 1, (byte) 1).put(b + 2, (byte) 6).putInt(b + 4, xid).putShort(b + 10, (short) 0x8000);
        mac.putAt(f, b + 28);
        f.putInt(b + 236, 0x63825363); // DHCP magic cookie (RFC 2131 3)
        f.put(b + 240, (byte) 53).put(b + 241, (byte) 1).put(b + 242, (byte) 1); // DHCPDISCOVER
        f.put(b + 243, (byte) 255);
        transportChecksum(f, 6);
        return f;
    }

    public static ByteBuffer arpRequest(MacAddress mac, int senderIp, int targetIp) {
        ByteBuffer f = ethernet(MacAddress.BROADCAST, mac, ETH_ARP, 28);
        f.putShort(14, (short) 1).putShort(16, (short) ETH_IPV4).put(18, (byte) 6).put(19, (byte) 4).putShort(20, (short) 1);
        mac.putAt(f, 22);
        f.putInt(28, senderIp).putInt(38, targetIp);
        return f;
    }

    public static ByteBuffer arpReply(MacAddress mac, int ip, ByteBuffer request) {
        ByteBuffer f = ethernet(new MacAddress(MacAddress.bitsAt(request, 22)), mac, ETH_ARP, 28);
        f.putShort(14, (short) 1).putShort(16, (short) ETH_IPV4).put(18, (byte) 6).put(19, (byte) 4).putShort(20, (short) 2);
        mac.putAt(f, 22);
        f.putInt(28, ip);
        for (int i = 0; i < 6; i++) {
            f.put(32 + i, request.get(22 + i));
        }
        f.putInt(38, request.getInt(28));
        return f;
    }

    public static ByteBuffer icmpEcho(MacAddress dst, MacAddress src, int srcIp, int dstIp, int id, int seq) {
        ByteBuffer f = ipv4(dst, src, srcIp, dstIp, PROTO_ICMP, 8 + 16);
        f.put(34, (byte) 8).putShort(38, (short) id).putShort(40, (short) seq);
        for (int i = 0; i < 16; i++) {
            f.put(42 + i, (byte) ('a' + i));
        }
        f.putShort(36, (short) checksum(f, 34, 24, 0));
        return f;
    }

    /** A TCP segment with {@code flags} (SYN 0x02, ACK 0x10, PSH 0x08, FIN 0x01) and data. */
    public static ByteBuffer tcp(MacAddress dst, MacAddress src, int srcIp, int dstIp, int srcPort, int dstPort,
            long seq, long ack, int flags, byte[] data) {
        ByteBuffer f = ipv4(dst, src, srcIp, dstIp, PROTO_TCP, 20 + data.length);
        f.putShort(34, (short) srcPort).putShort(36, (short) dstPort).putInt(38, (int) seq).putInt(42, (int) ack);
        f.put(46, (byte) 0x50).put(47, (byte) flags).putShort(48, (short) 0xffff);
        f.put(54, data);
        transportChecksum(f, 16);
        return f;
    }

    public static int etherType(ByteBuffer f) {
        return f.getShort(12) & 0xffff;
    }

    public static int ipProto(ByteBuffer f) {
        return f.get(23) & 0xff;
    }
}
