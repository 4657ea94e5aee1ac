package dev.jvisor.server.manager;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How much of a VM's guest RAM is resident in host memory, page by page from
 * {@code /proc/self/pagemap} (Linux Documentation/admin-guide/mm/pagemap.rst: one 64-bit entry per
 * virtual page, bit 63 "present", bit 62 "swapped"). Guest RAM is mapped lazily, so this is what the
 * guest (and the loader) touched. Per-page rather than {@code smaps}: the kernel merges adjacent
 * anonymous mappings of several VMs into one VMA, whose Rss could not be split between them.
 * Reads 8 bytes per guest page: for stats and benchmarks, not hot paths.
 */
public final class GuestResidency {
    private static final long PAGE = 4096;
    private static final long PRESENT = 1L << 63;
    private static final long SWAPPED = 1L << 62;

    private GuestResidency() {
    }

    /** Resident (or swapped) bytes of {@code [address, address + size)}, or -1 if pagemap is unreadable. */
    public static long residentBytes(long address, long size) {
        long first = address / PAGE;
        long pages = (size + PAGE - 1) / PAGE;
        long resident = 0;
        try (FileChannel ch = FileChannel.open(Path.of("/proc/self/pagemap"), StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
            long done = 0;
            while (done < pages) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), (pages - done) * 8));
                int n = ch.read(buf, (first + done) * 8);
                if (n <= 0 || n % 8 != 0) {
                    return -1;
                }
                buf.flip();
                while (buf.remaining() >= 8) {
                    if ((buf.getLong() & (PRESENT | SWAPPED)) != 0) {
                        resident++;
                    }
                }
                done += n / 8;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return resident * PAGE;
    }
}
