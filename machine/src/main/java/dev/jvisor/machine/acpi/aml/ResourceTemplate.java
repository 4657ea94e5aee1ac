package dev.jvisor.machine.acpi.aml;

/**
 * Builds a {@code ResourceTemplate()}: a buffer of resource descriptors closed by an End Tag
 * (ACPI 6.4 §6.4, "Resource Data Types for ACPI"). Address-space descriptors are emitted as
 * producers with fixed minimum and maximum and positive decode, which is what a root bridge's
 * {@code _CRS} windows are.
 */
public final class ResourceTemplate {
    /** Address space resource types (ACPI 6.4 Table 6.44 byte 3). */
    private static final int SPACE_MEMORY = 0, SPACE_IO = 1, SPACE_BUS = 2;
    /** General flags: _MAF and _MIF set (fixed range), _DEC = 0 (positive decode), producer. */
    private static final int GENERAL_FIXED_PRODUCER = 0x0C;
    /** I/O type-specific flags: _RNG = 3, both ISA and non-ISA ranges. */
    private static final int IO_ENTIRE_RANGE = 0x03;
    /** Memory type-specific flags: _RW = 1 (read/write), _MEM = 0 (non-cacheable). */
    private static final int MEMORY_READ_WRITE_NON_CACHEABLE = 0x01;

    private final AmlWriter out = new AmlWriter();

    /**
     * {@code IO(Decode16, min, max, align, length)}: small I/O port descriptor, tag 0x47 (§6.4.2.5).
     */
    public ResourceTemplate io(int min, int max, int alignment, int length) {
        checkRange(min, max, 0xFFFF, "I/O");
        if (alignment < 0 || alignment > 0xFF || length < 0 || length > 0xFF) {
            throw new IllegalArgumentException("I/O descriptor alignment and length must fit in a byte");
        }
        out.u8(0x47).u8(0x01).u16(min).u16(max).u8(alignment).u8(length);
        return this;
    }

    /**
     * {@code IRQNoFlags() {irqs}}: small IRQ descriptor without the flags byte, tag 0x22
     * (§6.4.2.1); such an IRQ is edge-triggered, active-high, exclusive.
     */
    public ResourceTemplate irqNoFlags(int... irqs) {
        int mask = 0;
        for (int irq : irqs) {
            if (irq < 0 || irq > 15) {
                throw new IllegalArgumentException("ISA IRQ " + irq + " is not 0-15");
            }
            mask |= 1 << irq;
        }
        out.u8(0x22).u16(mask);
        return this;
    }

    /** {@code Memory32Fixed(ReadWrite, base, length)}: large descriptor 0x86 (§6.4.3.4). */
    public ResourceTemplate memory32Fixed(long base, long length) {
        checkRange(base, base + length - 1, 0xFFFF_FFFFL, "Memory32Fixed");
        out.u8(0x86).u16(9).u8(0x01).u32(base).u32(length);
        return this;
    }

    /** {@code WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, n)}. */
    public ResourceTemplate wordBusNumber(int min, int max) {
        checkRange(min, max, 0xFFFF, "bus number");
        return word(SPACE_BUS, 0, min, max);
    }

    /** {@code WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, n)}. */
    public ResourceTemplate wordIo(int min, int max) {
        checkRange(min, max, 0xFFFF, "WordIO");
        return word(SPACE_IO, IO_ENTIRE_RANGE, min, max);
    }

    /** {@code DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, ...)}. */
    public ResourceTemplate dwordMemory(long min, long max) {
        checkRange(min, max, 0xFFFF_FFFFL, "DWordMemory");
        // Word/DWord/QWord address space descriptors (§6.4.3.5.1-3): tag, length, type, general
        // flags, type flags, then granularity, minimum, maximum, translation offset, length.
        out.u8(0x87).u16(23).u8(SPACE_MEMORY).u8(GENERAL_FIXED_PRODUCER).u8(MEMORY_READ_WRITE_NON_CACHEABLE)
                .u32(0).u32(min).u32(max).u32(0).u32(max - min + 1);
        return this;
    }

    /** {@code QWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, ...)}. */
    public ResourceTemplate qwordMemory(long min, long max) {
        if (Long.compareUnsigned(min, max) > 0) {
            throw new IllegalArgumentException(String.format("QWordMemory range 0x%x-0x%x is empty", min, max));
        }
        out.u8(0x8A).u16(43).u8(SPACE_MEMORY).u8(GENERAL_FIXED_PRODUCER).u8(MEMORY_READ_WRITE_NON_CACHEABLE)
                .u64(0).u64(min).u64(max).u64(0).u64(max - min + 1);
        return this;
    }

    /** The descriptors followed by an End Tag (checksum 0: "treated as if the checksum is OK"). */
    public byte[] toBytes() {
        AmlWriter copy = new AmlWriter().bytes(out.toByteArray());
        return copy.u8(0x79).u8(0x00).toByteArray();
    }

    /** The template as an AML {@code Buffer}. */
    public AmlTerm toBuffer() {
        return Aml.buffer(toBytes());
    }

    private ResourceTemplate word(int type, int typeFlags, int min, int max) {
        if (max - min + 1 > 0xFFFF) {
            throw new IllegalArgumentException(String.format(
                    "range 0x%x-0x%x is longer than a Word descriptor's 16-bit length", min, max));
        }
        out.u8(0x88).u16(13).u8(type).u8(GENERAL_FIXED_PRODUCER).u8(typeFlags)
                .u16(0).u16(min).u16(max).u16(0).u16(max - min + 1);
        return this;
    }

    private static void checkRange(long min, long max, long limit, String what) {
        if (min < 0 || max < min || max > limit) {
            throw new IllegalArgumentException(String.format("%s range 0x%x-0x%x is empty or too wide", what, min, max));
        }
    }
}
