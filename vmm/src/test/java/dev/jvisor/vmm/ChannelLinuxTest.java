package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.images.InitScript;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A virtio-console channel carries bytes both ways between a Linux guest's /dev/hvc0 and a host socket. */
@Tag("slow")
class ChannelLinuxTest {
    @TempDir
    Path dir;

    @Test
    void guestAndHostTalkThroughTheChannel() throws Exception {
        DefaultImage image = DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> { });
        Path socket = dir.resolve("chan.sock");
        VmConfig config = new VmConfig(image.kernel(), Optional.of(image.initrd()), image.cmdline(), 256L << 20, 1,
                VmConfig.Accel.EMU).withChannels(List.of(socket));
        GuestConsole console = new GuestConsole();
        try (EmuHypervisor hv = new EmuHypervisor(); VirtualMachine vm = MachineBuilder.build(config, hv, console)) {
            console.attach(vm);
            vm.start();
            console.waitFor(InitScript.READY_LINE, 300, TimeUnit.SECONDS);
            console.waitFor("# ", 60, TimeUnit.SECONDS);
            assertThat(console.run("ls /dev/hvc0", 60)).contains("/dev/hvc0");
            try (SocketChannel host = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                host.connect(UnixDomainSocketAddress.of(socket));
                console.run("echo hello-from-guest > /dev/hvc0", 60);
                assertThat(readLine(host)).isEqualTo("hello-from-guest");
                // hvc resets termios on every open, so raw mode is set on the descriptor head reads from;
                // the quotes keep the echoed command line from matching the marker.
                console.type("sh -c 'stty raw -echo; echo port-''open; head -c 14 | sha256sum' < /dev/hvc0");
                console.waitFor("port-open", 60, TimeUnit.SECONDS);
                host.write(ByteBuffer.wrap("hello-from-hos".getBytes(StandardCharsets.US_ASCII)));
                console.waitFor(sha256("hello-from-hos"), 60, TimeUnit.SECONDS);
            }
            console.type("poweroff -f");
            assertThat(vm.awaitExit(120, TimeUnit.SECONDS)).isEqualTo(new ExitReason.PowerOff());
        }
    }

    private static String readLine(SocketChannel ch) throws Exception {
        StringBuilder sb = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            one.clear();
            if (ch.read(one) < 0) {
                break;
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return sb.toString().replace("\r", "");
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static String sha256(String s) throws Exception {
        byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
        return java.util.HexFormat.of().formatHex(d);
    }
}
