package dev.jvisor.devices.rtc;

/**
 * The guest RAM sizes a PC BIOS records in CMOS, which some boot loaders and firmware read back.
 *
 * @param belowFourGiB bytes of RAM below 4 GiB, counted from address 0 (including the first MiB)
 * @param aboveFourGiB bytes of RAM at and above 4 GiB
 */
public record CmosMemorySize(long belowFourGiB, long aboveFourGiB) {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long UNIT_64K = 64 * KIB;
    private static final long BASE_MEMORY_KIB = 640;

    public CmosMemorySize {
        if (belowFourGiB < 0 || aboveFourGiB < 0) {
            throw new IllegalArgumentException(String.format(
                    "memory sizes must not be negative: below 4 GiB %d, above 4 GiB %d", belowFourGiB, aboveFourGiB));
        }
        if (belowFourGiB > 4 * 1024 * MIB) {
            throw new IllegalArgumentException(String.format(
                    "RAM below 4 GiB cannot exceed 4 GiB, got 0x%x bytes", belowFourGiB));
        }
    }

    /**
     * Writes the fields into a 128-byte CMOS image, using the IBM PC/AT layout and the later
     * conventions BIOSes (SeaBIOS among them) share: 0x15/0x16 base memory in KiB (at most 640),
     * 0x17/0x18 and its copy 0x30/0x31 extended memory above 1 MiB in KiB (capped at 0xFFFF),
     * 0x34/0x35 memory above 16 MiB in 64 KiB units (capped at 0xFFFF), 0x5B-0x5D memory above
     * 4 GiB in 64 KiB units (capped at 0xFFFFFF). Multi-byte fields are little-endian.
     */
    void writeTo(byte[] cmos) {
        long baseKib = Math.min(BASE_MEMORY_KIB, belowFourGiB / KIB);
        putLe(cmos, 0x15, baseKib, 2);
        long extendedKib = Math.min(0xFFFF, Math.max(0, belowFourGiB - MIB) / KIB);
        putLe(cmos, 0x17, extendedKib, 2);
        putLe(cmos, 0x30, extendedKib, 2);
        long above16M = Math.min(0xFFFF, Math.max(0, belowFourGiB - 16 * MIB) / UNIT_64K);
        putLe(cmos, 0x34, above16M, 2);
        long above4G = Math.min(0xFFFFFF, aboveFourGiB / UNIT_64K);
        putLe(cmos, 0x5B, above4G, 3);
    }

    private static void putLe(byte[] cmos, int index, long value, int bytes) {
        for (int i = 0; i < bytes; i++) {
            cmos[index + i] = (byte) (value >>> (8 * i));
        }
    }
}
