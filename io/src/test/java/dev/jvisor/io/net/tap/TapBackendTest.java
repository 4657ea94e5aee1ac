package dev.jvisor.io.net.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.io.net.MacAddress;
import dev.jvisor.io.net.NetBackend;
import dev.jvisor.io.sys.NativeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real TAP interface, where the host lets this user create one (skipped otherwise). Only local,
 * link-level traffic is involved: frames written by the guest side, and the IPv6 link-local
 * multicast the kernel itself sends when the interface comes up.
 */
class TapBackendTest {
    private static final MacAddress GUEST = MacAddress.parse("52:54:00:aa:bb:cc");

    private static TapBackend openOrSkip(String name) throws IOException {
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "no /dev/net/tun on this host");
        try {
            return TapBackend.open(name, GUEST);
        } catch (NativeException e) {
            assumeTrue(false, "TAP creation not permitted here: " + e.getMessage());
            throw e;
        }
    }

    private static long sysStat(String ifname, String stat) throws IOException {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net", ifname, "statistics", stat)).trim());
    }

    private static boolean run(String... cmd) throws Exception {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void guestFramesReachTheHostInterfaceAndHostFramesReachTheGuest() throws Exception {
        try (TapBackend tap = openOrSkip("jvtap%d")) {
            String ifname = tap.interfaceName();
            assertThat(ifname).startsWith("jvtap");
            assertThat(Path.of("/sys/class/net", ifname)).exists();
            Semaphore arrived = new Semaphore(0);
            tap.setFrameListener(arrived::release);
            boolean up = run("ip", "link", "set", "dev", ifname, "up");
            assumeTrue(up, "cannot bring the interface up (no ip tool or no permission)");

            ByteBuffer frame = ByteBuffer.allocate(60);
            MacAddress.BROADCAST.putAt(frame, 0);
            GUEST.putAt(frame, 6);
            frame.putShort(12, (short) 0x88b5); // IEEE local experimental ethertype: nobody acts on it
            long before = sysStat(ifname, "rx_packets");
            assertThat(tap.send(frame)).isTrue();
            assertThat(sysStat(ifname, "rx_packets")).as("the kernel received the guest's frame").isEqualTo(before + 1);
            assertThat(tap.stats().txFrames()).isEqualTo(1);

            // The kernel announces the new link with IPv6 link-local multicast (MLD / router
            // solicitation); it arrives on the guest side.
            ByteBuffer buf = ByteBuffer.allocate(NetBackend.MAX_FRAME);
            int len = -1;
            for (int i = 0; i < 100 && len < 0; i++) {
                arrived.tryAcquire(100, TimeUnit.MILLISECONDS);
                len = tap.receive(buf.clear());
            }
            assumeTrue(len > 0, "the kernel sent nothing on the new interface (IPv6 disabled?)");
            assertThat(buf.getShort(12) & 0xffff).as("IPv6").isEqualTo(0x86dd);
            assertThat(buf.get(0) & 1).as("multicast destination").isEqualTo(1);
            assertThat(tap.stats().rxFrames()).isPositive();
        }
    }

    @Test
    void badArgumentsAndClosedTap() throws Exception {
        assertThatThrownBy(() -> TapBackend.open("a-name-much-too-long", GUEST)).hasMessageContaining("bad TAP interface name");
        TapBackend tap = openOrSkip("");
        String name = tap.interfaceName();
        assertThat(name).startsWith("tap");
        tap.close();
        assertThat(Path.of("/sys/class/net", name)).doesNotExist();
        assertThatThrownBy(() -> tap.send(ByteBuffer.allocate(60))).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }
}
