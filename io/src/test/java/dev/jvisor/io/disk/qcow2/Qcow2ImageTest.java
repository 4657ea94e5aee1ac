package dev.jvisor.io.disk.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.io.disk.BackingOpener;
import dev.jvisor.io.disk.CheckResult;
import dev.jvisor.io.disk.DiskImage;
import dev.jvisor.io.disk.DiskRangeException;
import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.io.disk.MemoryStorageFile;
import dev.jvisor.io.disk.RawImage;
import dev.jvisor.io.disk.ReadOnlyImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** qcow2 read/write semantics against a byte-array model, in memory (no qemu-img needed). */
class Qcow2ImageTest {

    static MemoryStorageFile newImage(long size, int version, int clusterBits) throws IOException {
        MemoryStorageFile f = new MemoryStorageFile();
        Qcow2Creator.create(f, new Qcow2Creator.Spec(size, version, clusterBits, null, null));
        return f;
    }

    static CheckResult check(MemoryStorageFile f) throws IOException {
        return Qcow2Checker.check(new MemoryStorageFile(f.contents(), false));
    }

    static byte[] readAll(DiskImage img) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) img.size());
        img.read(0, all);
        return all.array();
    }

    @Test
    void freshImageReadsZerosAndChecksClean() throws IOException {
        MemoryStorageFile f = newImage(1 << 20, 3, 16);
        try (Qcow2Image img = Qcow2Image.open(f, BackingOpener.none())) {
            assertThat(img.size()).isEqualTo(1 << 20);
            assertThat(readAll(img)).containsOnly(0);
        }
        CheckResult r = check(f);
        assertThat(r.clean()).as(r.problems().toString()).isTrue();
        assertThat(r.allocatedClusters()).isZero();
    }

    @ParameterizedTest
    @CsvSource({"3, 16", "2, 16", "3, 9", "2, 12", "3, 21"})
    void randomWritesMatchModelAndReopen(int version, int clusterBits) throws IOException {
        int size = 3 << 20;
        MemoryStorageFile f = newImage(size, version, clusterBits);
        byte[] model = new byte[size];
        Random rnd = new Random(version * 100 + clusterBits);
        try (Qcow2Image img = Qcow2Image.open(f, BackingOpener.none(), 64 << 10)) {
            for (int i = 0; i < 200; i++) {
                int off = rnd.nextInt(size);
                int len = Math.min(size - off, 1 + rnd.nextInt(150_000));
                byte[] data = new byte[len];
                rnd.nextBytes(data);
                img.write(off, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, model, off, len);
                if (i % 50 == 49) {
                    img.flush();
                }
                int roff = rnd.nextInt(size);
                int rlen = Math.min(size - roff, 1 + rnd.nextInt(100_000));
                ByteBuffer got = ByteBuffer.allocate(rlen);
                img.read(roff, got);
                assertThat(got.array()).isEqualTo(Arrays.copyOfRange(model, roff, roff + rlen));
            }
        }
        CheckResult r = check(f);
        assertThat(r.clean()).as(r.problems().toString()).isTrue();
        try (Qcow2Image img = Qcow2Image.open(new MemoryStorageFile(f.contents(), false), BackingOpener.none())) {
            assertThat(readAll(img)).isEqualTo(model);
        }
    }

    @Test
    void smallClustersGrowTheRefcountTable() throws IOException {
        // 512-byte clusters: one refcount block covers 128 KiB, the first table 64 blocks (8 MiB).
        int size = 24 << 20;
        MemoryStorageFile f = newImage(size, 3, 9);
        long tableBefore = Qcow2Header.read(f).refcountTableOffset();
        byte[] chunk = new byte[1 << 20];
        new Random(1).nextBytes(chunk);
        try (Qcow2Image img = Qcow2Image.open(f, BackingOpener.none(), 64 << 10)) {
            for (int mb = 0; mb < 24; mb++) {
                img.write((long) mb << 20, ByteBuffer.wrap(chunk));
            }
        }
        assertThat(Qcow2Header.read(f).refcountTableOffset()).isNotEqualTo(tableBefore);
        CheckResult r = check(f);
        assertThat(r.clean()).as(r.problems().toString()).isTrue();
        try (Qcow2Image img = Qcow2Image.open(new MemoryStorageFile(f.contents(), false), BackingOpener.none())) {
            ByteBuffer got = ByteBuffer.allocate(1 << 20);
            img.read(17L << 20, got);
            assertThat(got.array()).isEqualTo(chunk);
        }
    }

    @Test
    void overlayReadsThroughToBackingAndCopiesOnWrite() throws IOException {
        int size = 1 << 20;
        byte[] base = new byte[size];
        new Random(7).nextBytes(base);
        MemoryStorageFile baseFile = new MemoryStorageFile(base, false);
        MemoryStorageFile f = new MemoryStorageFile();
        Qcow2Creator.create(f, new Qcow2Creator.Spec(size, 3, 16, "base.raw", "raw"));
        BackingOpener opener = (name, fmt) -> {
            assertThat(name).isEqualTo("base.raw");
            assertThat(fmt).isEqualTo("raw");
            return new RawImage(baseFile);
        };
        byte[] model = base.clone();
        try (Qcow2Image img = Qcow2Image.open(f, opener)) {
            assertThat(readAll(img)).isEqualTo(base);
            byte[] patch = {1, 2, 3, 4};
            img.write(70_000, ByteBuffer.wrap(patch)); // partial cluster: the rest must come from the base
            System.arraycopy(patch, 0, model, 70_000, 4);
            assertThat(readAll(img)).isEqualTo(model);
            img.discard(0, 65536); // v3 over a backing file: zero flag, the base must not reappear
            Arrays.fill(model, 0, 65536, (byte) 0);
            img.writeZeroes(131072, 65536 + 100, false);
            Arrays.fill(model, 131072, 131072 + 65536 + 100, (byte) 0);
            assertThat(readAll(img)).isEqualTo(model);
        }
        assertThat(baseFile.contents()).isEqualTo(base);
        CheckResult r = check(f);
        assertThat(r.clean()).as(r.problems().toString()).isTrue();
    }

    @Test
    void discardAndZeroesFreeClustersForReuse() throws IOException {
        int size = 4 << 20;
        MemoryStorageFile f = newImage(size, 3, 16);
        byte[] data = new byte[size];
        new Random(3).nextBytes(data);
        try (Qcow2Image img = Qcow2Image.open(f, BackingOpener.none())) {
            img.write(0, ByteBuffer.wrap(data));
            img.flush();
            long grown = f.size();
            img.discard(0, size / 2);
            img.writeZeroes(size / 2, size / 4, true);
            img.writeZeroes(3 * size / 4, size / 4, false); // keeps the clusters as preallocated zeros
            assertThat(readAll(img)).containsOnly(0);
            img.flush();
            img.write(0, ByteBuffer.wrap(data, 0, size / 2));
            img.flush();
            assertThat(f.size()).as("freed clusters are reused").isEqualTo(grown);
            img.write(3 * size / 4, ByteBuffer.wrap(data, 0, 1000)); // into a preallocated zero cluster
            ByteBuffer got = ByteBuffer.allocate(2000);
            img.read(3 * size / 4, got);
            assertThat(Arrays.copyOf(got.array(), 1000)).isEqualTo(Arrays.copyOf(data, 1000));
            assertThat(Arrays.copyOfRange(got.array(), 1000, 2000)).containsOnly(0);
        }
        CheckResult r = check(f);
        assertThat(r.clean()).as(r.problems().toString()).isTrue();
    }

    @Test
    void rangeAndReadOnlyErrors() throws IOException {
        MemoryStorageFile f = newImage(1 << 20, 3, 16);
        try (Qcow2Image img = Qcow2Image.open(new MemoryStorageFile(f.contents(), false), BackingOpener.none())) {
            assertThat(img.readOnly()).isTrue();
            assertThatThrownBy(() -> img.write(0, ByteBuffer.allocate(1))).isInstanceOf(ReadOnlyImageException.class);
            assertThatThrownBy(() -> img.read((1 << 20) - 1, ByteBuffer.allocate(2))).isInstanceOf(DiskRangeException.class)
                    .hasMessageContaining("outside the disk");
            assertThatThrownBy(() -> img.read(-1, ByteBuffer.allocate(1))).isInstanceOf(DiskRangeException.class);
            assertThatThrownBy(() -> img.discard(0, 512)).isInstanceOf(ReadOnlyImageException.class);
        }
    }

    @Test
    void refusesWritableOpenOfDirtyImage() throws IOException {
        MemoryStorageFile f = newImage(1 << 20, 3, 16);
        byte[] bytes = f.contents();
        bytes[79] |= 1; // incompatible feature bit 0: dirty
        assertThatThrownBy(() -> Qcow2Image.open(new MemoryStorageFile(bytes, true), BackingOpener.none()))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("dirty bit").hasMessageContaining("qemu-img check -r all");
        try (Qcow2Image img = Qcow2Image.open(new MemoryStorageFile(bytes, false), BackingOpener.none())) {
            assertThat(img.header().dirty()).isTrue();
        }
    }
}
