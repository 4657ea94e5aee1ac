package dev.jvisor.vmm.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.vmm.VmException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketChannelBridgeTest {
    @TempDir
    Path dir;

    @Test
    void bytesFlowBothWaysAndOutputWithoutAClientIsDropped() throws Exception {
        Path sock = dir.resolve("chan.sock");
        try (SocketChannelBridge bridge = SocketChannelBridge.open(sock)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-------");
            bridge.guestOutput().write("lost".getBytes(StandardCharsets.US_ASCII)); // nobody connected yet
            try (SocketChannel host = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                host.connect(UnixDomainSocketAddress.of(sock));
                host.write(ByteBuffer.wrap("to guest".getBytes(StandardCharsets.US_ASCII)));
                byte[] got = new byte[8];
                int n = 0;
                while (n < 8) {
                    n += bridge.guestInput().read(got, n, 8 - n);
                }
                assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("to guest");
                // The acceptor has the client once input flowed: guest output now reaches it.
                bridge.guestOutput().write("from guest".getBytes(StandardCharsets.US_ASCII));
                ByteBuffer in = ByteBuffer.allocate(10);
                while (in.hasRemaining()) {
                    host.read(in);
                }
                assertThat(new String(in.array(), StandardCharsets.US_ASCII)).isEqualTo("from guest");
            }
        }
        assertThat(sock).doesNotExist();
    }

    @Test
    void anExistingPathIsRefusedClearly() throws Exception {
        Path taken = Files.createFile(dir.resolve("taken"));
        assertThatThrownBy(() -> SocketChannelBridge.open(taken)).isInstanceOf(VmException.class)
                .hasMessageContaining("already exists");
    }
}
