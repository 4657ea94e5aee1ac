package dev.jvisor.io.net.slirp;

import java.net.Inet4Address;
import java.util.List;

/**
 * Settings of a user-mode network. The defaults are slirp's (and QEMU's): network 10.0.2.0/24, the
 * host (gateway) at 10.0.2.2, DNS at 10.0.2.3, DHCP handing out addresses from 10.0.2.15.
 *
 * @param network network address
 * @param netmask its mask
 * @param host the virtual gateway, which stands for the host (connections to it reach the host's loopback)
 * @param dhcpStart first address the DHCP server hands out
 * @param dns the virtual DNS server, forwarding to the host's resolver
 * @param hostname name offered to the guest by DHCP
 * @param restricted isolate the guest: only host forwards work, no outgoing connections
 * @param disableHostLoopback refuse guest connections to the host's 127.0.0.1 through the gateway
 * @param forwards host-to-guest port forwards
 */
public record SlirpOptions(Inet4Address network, Inet4Address netmask, Inet4Address host, Inet4Address dhcpStart,
        Inet4Address dns, String hostname, boolean restricted, boolean disableHostLoopback, List<HostForward> forwards) {

    public SlirpOptions {
        forwards = List.copyOf(forwards);
        if (hostname == null || hostname.isEmpty() || hostname.length() > 63 || !hostname.matches("[A-Za-z0-9-]+")) {
            throw new IllegalArgumentException("bad guest hostname '" + hostname + "'");
        }
        int net = toInt(network), mask = toInt(netmask);
        if (Integer.bitCount(mask) + Integer.numberOfTrailingZeros(mask) != 32 || (net & ~mask) != 0) {
            throw new IllegalArgumentException("bad network " + network.getHostAddress() + "/" + netmask.getHostAddress());
        }
        for (Inet4Address a : List.of(host, dhcpStart, dns)) {
            if ((toInt(a) & mask) != net) {
                throw new IllegalArgumentException(a.getHostAddress() + " is outside " + network.getHostAddress() + "/" + netmask.getHostAddress());
            }
        }
    }

    private static int toInt(Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** slirp's defaults with the given port forwards. */
    public static SlirpOptions defaults(List<HostForward> forwards) {
        return new SlirpOptions(HostForward.ipv4("10.0.2.0", "default"), HostForward.ipv4("255.255.255.0", "default"),
                HostForward.ipv4("10.0.2.2", "default"), HostForward.ipv4("10.0.2.15", "default"),
                HostForward.ipv4("10.0.2.3", "default"), "jvisor", false, false, forwards);
    }
}
