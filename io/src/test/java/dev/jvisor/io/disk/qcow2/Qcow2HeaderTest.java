package dev.jvisor.io.disk.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.io.disk.MemoryStorageFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class Qcow2HeaderTest {

    private static byte[] image() throws IOException {
        MemoryStorageFile f = new MemoryStorageFile();
        Qcow2Creator.create(f, new Qcow2Creator.Spec(1 << 20, 3, 16, "base.img", "raw"));
        return f.contents();
    }

    private static Qcow2Header parse(byte[] b) throws InvalidImageException {
        return Qcow2Header.parse(ByteBuffer.wrap(b), b.length);
    }

    private static byte[] withInt(byte[] b, int at, int value) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).putInt(at, value);
        return c;
    }

    private static byte[] withLong(byte[] b, int at, long value) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).putLong(at, value);
        return c;
    }

    @Test
    void parsesWhatTheCreatorWrites() throws IOException {
        Qcow2Header h = parse(image());
        assertThat(h.version()).isEqualTo(3);
        assertThat(h.clusterSize()).isEqualTo(65536);
        assertThat(h.size()).isEqualTo(1 << 20);
        assertThat(h.refcountBits()).isEqualTo(16);
        assertThat(h.backingFile()).isEqualTo("base.img");
        assertThat(h.backingFormat()).isEqualTo("raw");
        assertThat(h.dirty()).isFalse();
    }

    @Test
    void refusesBadBasics() throws IOException {
        byte[] b = image();
        assertThatThrownBy(() -> parse(withInt(b, 0, 0x12345678))).hasMessageContaining("bad magic");
        assertThatThrownBy(() -> parse(withInt(b, 4, 4))).hasMessageContaining("unsupported qcow2 version 4");
        assertThatThrownBy(() -> parse(withInt(b, 20, 8))).hasMessageContaining("cluster_bits 8");
        assertThatThrownBy(() -> parse(withInt(b, 20, 22))).hasMessageContaining("cluster_bits 22");
        assertThatThrownBy(() -> parse(withInt(b, 96, 7))).hasMessageContaining("refcount_order 7");
        assertThatThrownBy(() -> parse(withInt(b, 100, 105))).hasMessageContaining("header_length");
        assertThatThrownBy(() -> parse(withInt(b, 32, 2))).hasMessageContaining("LUKS");
        assertThatThrownBy(() -> parse(new byte[10])).hasMessageContaining("shorter than the 72-byte header");
    }

    @Test
    void refusesTablesOutsideTheFileOrMisaligned() throws IOException {
        byte[] b = image();
        assertThatThrownBy(() -> parse(withLong(b, 40, 65536 + 8))).hasMessageContaining("L1 table offset");
        assertThatThrownBy(() -> parse(withLong(b, 40, 1L << 40))).hasMessageContaining("past the end of the file");
        assertThatThrownBy(() -> parse(withLong(b, 48, 0))).hasMessageContaining("refcount table offset");
        assertThatThrownBy(() -> parse(withInt(b, 56, 1 << 20))).hasMessageContaining("refcount table size");
        assertThatThrownBy(() -> parse(withInt(b, 36, 0))).hasMessageContaining("too small for the virtual size");
        assertThatThrownBy(() -> parse(withInt(b, 36, -1))).hasMessageContaining("L1 table too large");
        assertThatThrownBy(() -> parse(withInt(b, 60, 3))).hasMessageContaining("snapshot table");
        assertThatThrownBy(() -> parse(withInt(b, 16, 2000))).hasMessageContaining("backing file name too long");
    }

    @Test
    void namesUnsupportedIncompatibleFeatures() throws IOException {
        byte[] b = image();
        assertThatThrownBy(() -> parse(withLong(b, 72, 1L << 2))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("external data file");
        assertThatThrownBy(() -> parse(withLong(b, 72, 1L << 4))).hasMessageContaining("extended L2 entries");
        assertThatThrownBy(() -> parse(withLong(b, 72, 1L << 9))).hasMessageContaining("unknown feature bit 9");
        byte[] zstd = withLong(b, 72, 1L << 3);
        zstd = withInt(zstd, 100, 112);
        zstd[104] = 1;
        byte[] z = zstd;
        assertThatThrownBy(() -> parse(z)).hasMessageContaining("compression type zstd");
        // Dirty and corrupt are parsed; the image decides (read-only opens allowed).
        assertThat(parse(withLong(b, 72, 3)).corrupt()).isTrue();
    }

    @Test
    void usesTheFeatureNameTableForUnknownBits() throws IOException {
        byte[] b = image();
        // Replace the extension area (after the 104-byte header) with a feature name table naming bit 20.
        ByteBuffer w = ByteBuffer.wrap(b);
        w.putLong(8, 0).putInt(16, 0); // drop the backing file so the extension area is free
        w.putInt(104, 0x6803f857).putInt(108, 48);
        w.put(112, (byte) 0).put(113, (byte) 20).put(114, "frobnication".getBytes());
        for (int i = 160; i < 200; i++) {
            w.put(i, (byte) 0);
        }
        w.putLong(72, 1L << 20);
        assertThatThrownBy(() -> parse(b)).hasMessageContaining("frobnication (bit 20)");
    }
}
