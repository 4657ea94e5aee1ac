package dev.jvisor.emu.disasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LZ4 block decoder and the kernel's legacy frame, against hand-made blocks and the lz4 tool. */
class Lz4Test {
    @TempDir
    Path dir;

    @Test
    void literalsAndAnOverlappingMatchDecode() {
        // token 0x33: 3 literals "abc", then a match of 3+4 bytes at distance 3 (overlapping copy),
        // then a final literals-only sequence "Z".
        byte[] block = {0x33, 'a', 'b', 'c', 3, 0, 0x10, 'Z'};
        byte[] out = new byte[64];
        int n = Lz4.decompressBlock(block, 0, block.length, out);
        assertThat(new String(out, 0, n)).isEqualTo("abcabcabcaZ");
    }

    @Test
    void longLiteralAndMatchLengthsUseExtensionBytes() {
        byte[] literals = new byte[20];
        java.util.Arrays.fill(literals, (byte) 'x');
        // 20 literals (15 + 5), then a match of 15 + 255 + 10 + 4 = 284 at distance 1.
        byte[] block = new byte[1 + 1 + 20 + 2 + 2 + 1];
        int p = 0;
        block[p++] = (byte) 0xff;
        block[p++] = 5;
        System.arraycopy(literals, 0, block, p, 20);
        p += 20;
        block[p++] = 1;
        block[p++] = 0;
        block[p++] = (byte) 255;
        block[p++] = 10;
        block[p] = 0x00; // final empty literals sequence
        byte[] out = new byte[400];
        int n = Lz4.decompressBlock(block, 0, block.length, out);
        assertThat(n).isEqualTo(20 + 284);
        for (int i = 0; i < n; i++) {
            assertThat(out[i]).isEqualTo((byte) 'x');
        }
    }

    @Test
    void corruptBlocksAreRejected() {
        byte[] out = new byte[16];
        assertThatThrownBy(() -> Lz4.decompressBlock(new byte[] {0x10, 'a', 5, 0}, 0, 4, out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset");
        assertThatThrownBy(() -> Lz4.decompressBlock(new byte[] {(byte) 0xf0, 'a'}, 0, 2, out))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Lz4.decompressLegacy(new byte[] {1, 2, 3, 4}, 0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("magic");
    }

    @Test
    void legacyFramesFromTheLz4ToolRoundTrip() throws Exception {
        assumeTrue(tool(), "the lz4 command is not installed");
        byte[] data = new byte[3 << 20];
        Random r = new Random(7);
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 1000 < 700 ? i % 17 : r.nextInt()); // compressible with noise
        }
        Path in = Files.write(dir.resolve("data"), data);
        Path lz = dir.resolve("data.lz4");
        Process p = new ProcessBuilder("lz4", "-l", "-9", "-f", in.toString(), lz.toString()).redirectErrorStream(true)
                .start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        byte[] frame = Files.readAllBytes(lz);
        // The kernel appends the uncompressed size; the decoder must stop there.
        byte[] withSize = java.util.Arrays.copyOf(frame, frame.length + 4);
        withSize[frame.length] = (byte) data.length;
        withSize[frame.length + 1] = (byte) (data.length >> 8);
        withSize[frame.length + 2] = (byte) (data.length >> 16);
        assertThat(Lz4.decompressLegacy(withSize, 0, withSize.length)).isEqualTo(data);
        assertThat(Lz4.decompressLegacy(frame, 0, frame.length)).isEqualTo(data);
    }

    private static boolean tool() {
        try {
            Process p = new ProcessBuilder("lz4", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
