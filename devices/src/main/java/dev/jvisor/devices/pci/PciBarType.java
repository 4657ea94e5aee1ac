package dev.jvisor.devices.pci;

/** The kinds of base address register (PCI Local Bus Specification 3.0, section 6.2.5.1). */
public enum PciBarType {
    /** Memory space, decoded anywhere in the low 4 GiB; one register. */
    MEMORY_32,
    /** Memory space, decoded anywhere in the 64-bit space; uses this register and the next. */
    MEMORY_64,
    /** I/O space (16-bit port addresses on x86). */
    IO;

    public boolean isMemory() {
        return this != IO;
    }
}
