package dev.jvisor.virtio;

/** Little-endian field access in byte arrays (virtio structures are little-endian, section 1.4). */
public final class LittleEndian {
    private LittleEndian() {
    }

    /** Reads {@code size} (1-8) bytes at {@code offset}, zero-extended. */
    public static long get(byte[] b, int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (b[offset + i] & 0xFF);
        }
        return v;
    }

    /** Writes the low {@code size} (1-8) bytes of {@code value} at {@code offset}. */
    public static void put(byte[] b, int offset, int size, long value) {
        for (int i = 0; i < size; i++) {
            b[offset + i] = (byte) (value >>> (8 * i));
        }
    }

    /**
     * A configuration space read from a byte image: bytes beyond the image read as zero, so a
     * device may serve any access the transport let through.
     */
    public static long readConfig(byte[] image, int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            int at = offset + i;
            v = v << 8 | (at >= 0 && at < image.length ? image[at] & 0xFF : 0);
        }
        return v;
    }
}
