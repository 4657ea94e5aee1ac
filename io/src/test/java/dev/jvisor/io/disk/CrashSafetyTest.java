package dev.jvisor.io.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jvisor.io.disk.qcow2.Qcow2Checker;
import dev.jvisor.io.disk.qcow2.Qcow2Creator;
import dev.jvisor.io.disk.qcow2.Qcow2Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Simulated crashes: every write jvisor makes to the image file is logged, with the flushes between
 * them. A crash at write k leaves on disk everything before the last flush preceding k, plus any
 * subset of the writes after that flush (the page cache writes them back in any order). Each such
 * state must pass {@code qemu-img check} with no corruption (leaks allowed), and data the guest
 * flushed must read back intact.
 */
class CrashSafetyTest {
    private static final int SIZE = 2 << 20;

    @TempDir
    Path dir;

    /** One logged operation: a write (data != null) or a flush. */
    record Op(long position, byte[] data) {}

    /** Records every write and flush on top of an in-memory file. */
    static final class RecordingFile implements StorageFile {
        final MemoryStorageFile inner;
        final List<Op> log = new ArrayList<>();

        RecordingFile(MemoryStorageFile inner) {
            this.inner = inner;
        }

        @Override public String name() { return "recording"; }
        @Override public long size() { return inner.size(); }
        @Override public int read(long position, ByteBuffer dst) { return inner.read(position, dst); }
        @Override public boolean writable() { return true; }
        @Override public String serial() { return "rec"; }
        @Override public void close() { }
        @Override public boolean punchHole(long offset, long length) { return false; }

        @Override
        public void write(long position, ByteBuffer src) throws IOException {
            byte[] copy = new byte[src.remaining()];
            src.duplicate().get(copy);
            log.add(new Op(position, copy));
            inner.write(position, src);
        }

        @Override
        public void force() {
            log.add(new Op(-1, null));
        }
    }

    private static byte[] replay(byte[] start, List<Op> log, int crashAt, Random rnd) throws IOException {
        int lastFlush = -1;
        for (int i = 0; i < crashAt; i++) {
            if (log.get(i).data() == null) {
                lastFlush = i;
            }
        }
        MemoryStorageFile disk = new MemoryStorageFile(start, true);
        for (int i = 0; i < crashAt; i++) {
            Op op = log.get(i);
            if (op.data() == null) {
                continue;
            }
            boolean durable = i < lastFlush;
            if (durable || rnd.nextBoolean()) {
                byte[] data = op.data();
                if (!durable && data.length > 512 && rnd.nextInt(4) == 0) {
                    data = Arrays.copyOf(data, 512 * (1 + rnd.nextInt(data.length / 512))); // torn: only some sectors
                }
                disk.write(op.position(), ByteBuffer.wrap(data));
            }
        }
        return disk.contents();
    }

    @Test
    void everyCrashPointLeavesAConsistentImage() throws Exception {
        assumeTrue(QemuImg.available(), QemuImg.MISSING);
        MemoryStorageFile base = new MemoryStorageFile();
        Qcow2Creator.create(base, new Qcow2Creator.Spec(SIZE, 3, 12, null, null));
        byte[] start = base.contents();
        RecordingFile rec = new RecordingFile(new MemoryStorageFile(start, true));
        Random rnd = new Random(42);
        byte[] model = new byte[SIZE];
        // The model as of each flush, indexed by the log position where that flush completed.
        List<Integer> flushPoints = new ArrayList<>();
        List<byte[]> flushedModels = new ArrayList<>();
        List<boolean[]> touchedAfter = new ArrayList<>();
        try (Qcow2Image img = Qcow2Image.open(rec, BackingOpener.none())) {
            for (int i = 0; i < 120; i++) {
                int off = rnd.nextInt(SIZE);
                int len = Math.min(SIZE - off, 1 + rnd.nextInt(20_000));
                if (rnd.nextInt(8) == 0) {
                    img.discard(off, len);
                    img.writeZeroes(off, len, true); // make the model exact: the range now reads as zeros
                    Arrays.fill(model, off, off + len, (byte) 0);
                } else {
                    byte[] data = new byte[len];
                    rnd.nextBytes(data);
                    img.write(off, ByteBuffer.wrap(data));
                    System.arraycopy(data, 0, model, off, len);
                }
                for (boolean[] t : touchedAfter) {
                    Arrays.fill(t, off, off + len, true);
                }
                if (rnd.nextInt(10) == 0) {
                    img.flush();
                    flushPoints.add(rec.log.size());
                    flushedModels.add(model.clone());
                    touchedAfter.add(new boolean[SIZE]);
                }
            }
        }
        assertThat(rec.log.size()).isGreaterThan(100);
        Path crashed = dir.resolve("crashed.qcow2");
        Random crashRnd = new Random(7);
        // Crashing just before a flush leaves the most writes undecided (metadata write-back happens
        // in flush), so most trials crash there; the rest anywhere.
        List<Integer> beforeFlush = new ArrayList<>();
        for (int i = 0; i < rec.log.size(); i++) {
            if (rec.log.get(i).data() == null) {
                beforeFlush.add(i);
            }
        }
        for (int trial = 0; trial < 60; trial++) {
            int crashAt = trial % 3 != 0 ? beforeFlush.get(crashRnd.nextInt(beforeFlush.size()))
                    : 1 + crashRnd.nextInt(rec.log.size());
            byte[] image = replay(start, rec.log, crashAt, crashRnd);
            Files.write(crashed, image);
            QemuImg.Result check = QemuImg.run("check", crashed.toString());
            // qemu-img check: 0 = clean, 3 = leaks only; 2 would be corruption.
            assertThat(check.exit()).as("crash at op %d of %d: %s", crashAt, rec.log.size(), check.output()).isIn(0, 3);
            CheckResult ours = Qcow2Checker.check(new MemoryStorageFile(image, false));
            assertThat(ours.corruptions()).as(ours.problems().toString()).isZero();

            // Data flushed before the crash is intact wherever it was not overwritten since.
            int f = -1;
            for (int k = 0; k < flushPoints.size(); k++) {
                if (flushPoints.get(k) <= crashAt) {
                    f = k;
                }
            }
            if (f >= 0) {
                try (Qcow2Image img = Qcow2Image.open(new MemoryStorageFile(image, false), BackingOpener.none())) {
                    ByteBuffer all = ByteBuffer.allocate(SIZE);
                    img.read(0, all);
                    byte[] want = flushedModels.get(f);
                    boolean[] touched = touchedAfter.get(f);
                    for (int b = 0; b < SIZE; b++) {
                        if (!touched[b] && all.get(b) != want[b]) {
                            throw new AssertionError("flushed byte " + b + " lost after crash at op " + crashAt);
                        }
                    }
                }
            }
        }
    }
}
