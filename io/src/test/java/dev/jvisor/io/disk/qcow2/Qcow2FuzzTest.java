package dev.jvisor.io.disk.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.io.disk.BackingOpener;
import dev.jvisor.io.disk.CheckResult;
import dev.jvisor.io.disk.MemoryStorageFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz targets for qcow2 parsing: header, extensions, L1/L2 and refcount tables, compressed clusters,
 * snapshots, through both the reader and the checker. Any input must end in a clean
 * {@link IOException}, never another exception, a hang or an out-of-memory error.
 *
 * <p>{@link #fuzzImage} is a Jazzer target: in a normal {@code mvn test} it replays its seed corpus
 * ({@code src/test/resources/.../Qcow2FuzzTestInputs/fuzzImage}, images made by qemu-img) as a
 * regression test; {@code JAZZER_FUZZ=1} fuzzes for real. {@link #mutatedSeedsFailCleanly} runs the
 * same target on a few thousand deterministic mutations of the seeds in every build.
 */
class Qcow2FuzzTest {

    /** The property under test: parse, read a few places, check; only IOExceptions may escape. */
    static void exercise(byte[] data) {
        try (Qcow2Image img = Qcow2Image.open(new MemoryStorageFile(data, false), BackingOpener.none(), 1 << 16)) {
            long size = img.size();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            for (long at : new long[] {0, size / 2, Math.max(0, size - 4096), 70000}) {
                buf.clear();
                buf.limit((int) Math.min(4096, Math.max(0, size - at)));
                if (at < size) {
                    img.read(at, buf);
                }
            }
        } catch (IOException expected) {
            // a clean refusal
        }
        try {
            CheckResult r = Qcow2Checker.check(new MemoryStorageFile(data, false));
            assertThat(r.corruptions()).isNotNegative();
        } catch (IOException expected) {
            // a clean refusal
        }
    }

    @FuzzTest(maxDuration = "60s")
    void fuzzImage(byte[] data) {
        exercise(data);
    }

    static List<byte[]> seeds() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        for (String name : new String[] {"v2.qcow2", "v3c.qcow2", "ov.qcow2", "v3lazy.qcow2"}) {
            try (InputStream in = Qcow2FuzzTest.class.getResourceAsStream("Qcow2FuzzTestInputs/fuzzImage/" + name)) {
                seeds.add(in.readAllBytes());
            }
        }
        return seeds;
    }

    @Test
    @Timeout(120) // guards against a hang; not a speed assertion
    void mutatedSeedsFailCleanly() throws IOException {
        Random rnd = new Random(20240601);
        List<byte[]> seeds = seeds();
        assertThat(seeds).hasSize(4);
        for (int i = 0; i < 3000; i++) {
            byte[] seed = seeds.get(i % seeds.size());
            byte[] m = seed.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                // Mostly the metadata: the header cluster and the tables right after it.
                int at = rnd.nextInt(4) == 0 ? rnd.nextInt(m.length) : rnd.nextInt(Math.min(m.length, 4096));
                switch (rnd.nextInt(3)) {
                    case 0 -> m[at] ^= (byte) (1 << rnd.nextInt(8));
                    case 1 -> m[at] = (byte) rnd.nextInt(256);
                    default -> m[at] = (byte) (rnd.nextBoolean() ? 0xff : 0);
                }
            }
            if (rnd.nextInt(10) == 0) {
                m = java.util.Arrays.copyOf(m, rnd.nextInt(m.length)); // truncated file
            }
            exercise(m);
        }
    }
}
