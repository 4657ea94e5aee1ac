package dev.jvisor.virtio.queue;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.memory.GuestMemory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Descriptor chain parsing over arbitrary guest memory: whatever the rings and tables hold, taking
 * chains either works or ends in the device's own {@link VirtqueueException}; nothing else is
 * thrown and nothing loops. {@link #chainsFromArbitraryMemory} is the Jazzer target (it replays its
 * corpus in normal runs; JAZZER_FUZZ=1 fuzzes); {@link #manyRandomMemoryImages} runs the same
 * target over a fixed series of random images in every build.
 */
class DescriptorChainFuzzTest {
    /** Small RAM so that random 64-bit addresses and lengths land inside it reasonably often. */
    private static final int RAM = 64 * 1024;
    private static final GuestMemory MEMORY = GuestMemory.flat(RAM);
    private static final long DESC = 0;
    /** The rings sit right after the largest descriptor table the targets use (256 entries). */
    private static final long AVAIL = 0x1000;
    private static final long USED = 0x1800;

    @AfterAll
    static void closeMemory() {
        MEMORY.close();
    }

    @FuzzTest(maxDuration = "30s")
    void chainsFromArbitraryMemory(FuzzedDataProvider data) {
        int size = 1 << data.consumeInt(0, 8);
        boolean indirect = data.consumeBoolean();
        boolean eventIdx = data.consumeBoolean();
        boolean keepInRam = data.consumeBoolean();
        int availIdx = data.consumeInt(0, 0xFFFF);
        int[] heads = new int[Math.min(size, 8)];
        for (int i = 0; i < heads.length; i++) {
            heads[i] = data.consumeInt(0, size);
        }
        byte[] image = data.consumeRemainingAsBytes();
        MEMORY.fill(0, RAM, (byte) 0);
        MEMORY.write(0, image, 0, Math.min(image.length, RAM));
        if (keepInRam) {
            // Fold addresses and lengths into RAM so that the interesting checks past "not in RAM" run.
            for (int i = 0; i < size; i++) {
                long at = DESC + 16L * i;
                MEMORY.writeU64(at, MEMORY.readU64(at) & (RAM - 1));
                MEMORY.writeU32(at + 8, MEMORY.readU32AsInt(at + 8) & 0x1FFF);
            }
        }
        MEMORY.writeU16(AVAIL + 2, availIdx);
        for (int i = 0; i < heads.length; i++) {
            MEMORY.writeU16(AVAIL + 4 + 2L * i, heads[i]);
        }
        exercise(size, indirect, eventIdx);
    }

    @Test
    @Timeout(120) // a hang guard only: the whole series normally takes a few seconds
    void manyRandomMemoryImages() {
        SplittableRandom random = new SplittableRandom(0x5EED);
        byte[] image = new byte[RAM];
        for (int round = 0; round < 3000; round++) {
            int size = 1 << random.nextInt(9);
            random.nextBytes(image);
            // Bias towards structure: small lengths, in-RAM addresses, plausible flags and links.
            for (int i = 0; i < size; i++) {
                int at = (int) DESC + 16 * i;
                long addr = random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(RAM);
                long len = random.nextInt(4) == 0 ? random.nextLong() & 0xFFFF_FFFFL : random.nextInt(512);
                putLong(image, at, addr);
                putLong(image, at + 8, len | (long) random.nextInt(8) << 32 | (long) random.nextInt(size + 2) << 48);
            }
            int availIdx = random.nextInt(size + 2);
            image[(int) AVAIL + 2] = (byte) availIdx;
            image[(int) AVAIL + 3] = (byte) (availIdx >>> 8);
            for (int i = 0; i < size; i++) {
                int head = random.nextInt(size + 1);
                image[(int) AVAIL + 4 + 2 * i] = (byte) head;
                image[(int) AVAIL + 5 + 2 * i] = (byte) (head >>> 8);
            }
            MEMORY.write(0, image);
            exercise(size, random.nextBoolean(), random.nextBoolean());
        }
    }

    private static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /** Takes chains until the queue is empty or reports a violation; checks every chain it got. */
    private static void exercise(int size, boolean indirect, boolean eventIdx) {
        DescriptorChain chain = new DescriptorChain();
        byte[] scratch = new byte[256];
        try {
            SplitQueue queue = new SplitQueue(MEMORY, new QueueLayout(size, DESC, AVAIL, USED), indirect, eventIdx);
            for (int taken = 0; taken <= size && queue.pop(chain); taken++) {
                assertThat(chain.segmentCount()).isLessThanOrEqualTo(size + SplitQueue.MAX_INDIRECT_DESCRIPTORS);
                long total = 0;
                for (int i = 0; i < chain.segmentCount(); i++) {
                    assertThat(MEMORY.isRam(chain.address(i), chain.length(i))).isTrue();
                    total += chain.length(i);
                }
                assertThat(total).isEqualTo(chain.readableLength() + chain.writableLength());
                int n = (int) Math.min(scratch.length, chain.readableLength());
                chain.read(0, scratch, 0, n);
                int w = (int) Math.min(scratch.length, chain.writableLength());
                chain.write(0, scratch, 0, w);
                queue.addUsed(chain.head(), w);
                queue.needsInterrupt();
            }
            queue.enableNotifications();
        } catch (VirtqueueException expected) {
            // The device's own report of a bad queue: the one allowed outcome besides success.
        }
    }
}
