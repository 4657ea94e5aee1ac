package dev.jvisor.machine;

/**
 * The fixed addresses of jvisor's x86 board: where RAM, MMIO windows, legacy ports and the boot
 * structures live. Everything that describes the platform to a guest (e820, ACPI, MP table,
 * loaders) and every device model reads its addresses from here, so the description and the
 * devices cannot disagree.
 *
 * <pre>
 * 0x0000_0000  low RAM (boot structures in the first 192 KiB, see BOOT_*)
 * 0x0009_FC00  EBDA, VGA window, option ROMs (reserved)
 * 0x000E_0000  ACPI tables (64 KiB, RSDP first)
 * 0x000F_0000  MP floating pointer and configuration table (64 KiB, reserved)
 * 0x0010_0000  low RAM continues up to min(RAM, 3 GiB)
 * 0xC000_0000  32-bit PCI MMIO window (512 MiB)
 * 0xE000_0000  PCIe ECAM / MMCONFIG (256 MiB, buses 0-255)
 * 0xFEC0_0000  IOAPIC
 * 0xFEE0_0000  local APICs
 * 0x1_0000_0000  RAM above 3 GiB, then the 64-bit PCI MMIO window
 * </pre>
 */
public final class PlatformLayout {
    private PlatformLayout() {
    }

    /** Bytes in a KiB, MiB and GiB, for readable arithmetic. */
    public static final long KIB = 1024, MIB = KIB * 1024, GIB = MIB * 1024;

    // ---- RAM and MMIO ----------------------------------------------------------------------

    /** Start of the PCI hole: RAM below this address is "low RAM"; the rest moves to 4 GiB. */
    public static final long PCI_HOLE_START = 0xC000_0000L;
    /** Where RAM that does not fit below the hole continues. */
    public static final long HIGH_RAM_START = 0x1_0000_0000L;
    /** The 32-bit PCI MMIO window (BARs below 4 GiB): from the hole start up to the ECAM. */
    public static final long PCI_MMIO32_BASE = PCI_HOLE_START;
    /** Size of the 32-bit PCI MMIO window. */
    public static final long PCI_MMIO32_SIZE = 0x2000_0000L;
    /** PCIe enhanced configuration space (MMCONFIG): 1 MiB per bus (PCIe Base Spec §7.2.2). */
    public static final long PCIE_ECAM_BASE = 0xE000_0000L;
    /** First bus number decoded by the ECAM window. */
    public static final int PCIE_BUS_FIRST = 0;
    /** Last bus number decoded by the ECAM window. */
    public static final int PCIE_BUS_LAST = 255;
    /** Size of the ECAM window: 256 buses x 32 devices x 8 functions x 4 KiB. */
    public static final long PCIE_ECAM_SIZE = (long) (PCIE_BUS_LAST - PCIE_BUS_FIRST + 1) << 20;
    /** Size of the 64-bit PCI MMIO window placed above RAM (see {@link MemoryMap#pciMmio64Base()}). */
    public static final long PCI_MMIO64_SIZE = 64 * GIB;
    /** The 64-bit window starts on this alignment above the end of RAM. */
    public static final long PCI_MMIO64_ALIGN = GIB;

    /** IOAPIC MMIO base (Intel 82093AA datasheet §3.0: default 0xFEC00000). */
    public static final long IOAPIC_BASE = 0xFEC0_0000L;
    /** IOAPIC MMIO size. */
    public static final long IOAPIC_SIZE = 0x1000;
    /**
     * IOAPIC ID. 0 is the 82093AA's reset value (and KVM's), so no guest has to reprogram it; on
     * xAPIC systems I/O APIC IDs and local APIC IDs are separate name spaces.
     */
    public static final int IOAPIC_ID = 0;
    /** IOAPIC version register value as the 82093AA reports it (version 0x11). */
    public static final int IOAPIC_VERSION = 0x11;
    /** Number of IOAPIC redirection entries: GSIs 0-23. */
    public static final int IOAPIC_PINS = 24;
    /** Local APIC MMIO base (Intel SDM Vol. 3A §11.4.1). */
    public static final long LAPIC_BASE = 0xFEE0_0000L;
    /** Local APIC version as an integrated xAPIC reports it (SDM Vol. 3A §11.4.8). */
    public static final int LAPIC_VERSION = 0x14;
    /** Most vCPUs the board describes: xAPIC IDs are 8 bits and 0xFF is the broadcast ID. */
    public static final int MAX_VCPUS = 255;

    // ---- legacy I/O ports and IRQs -----------------------------------------------------------

    /** COM1 16550 UART base port (8 ports). */
    public static final int COM1_PORT = 0x3F8;
    /** COM1 ISA IRQ. */
    public static final int COM1_IRQ = 4;
    /** CMOS RTC index/data ports 0x70-0x71 (MC146818). */
    public static final int RTC_PORT = 0x70;
    /** CMOS index of the RTC's century byte (BCD), the PC convention the FADT's CENTURY field names. */
    public static final int RTC_CENTURY_INDEX = 0x32;
    /** RTC ISA IRQ. */
    public static final int RTC_IRQ = 8;
    /** i8042 keyboard controller data port. */
    public static final int I8042_DATA_PORT = 0x60;
    /** i8042 keyboard controller status/command port. */
    public static final int I8042_COMMAND_PORT = 0x64;
    /** i8042 keyboard ISA IRQ. */
    public static final int I8042_KEYBOARD_IRQ = 1;
    /** POST diagnostic port. */
    public static final int POST_PORT = 0x80;
    /** Reset control register (PIIX/ICH "RST_CNT"): writing 0x06 resets the machine. */
    public static final int RESET_CONTROL_PORT = 0xCF9;
    /** The value the FADT tells the OS to write to {@link #RESET_CONTROL_PORT} (hard reset). */
    public static final int RESET_VALUE = 0x06;
    /** PCI configuration mechanism #1 address/data ports 0xCF8-0xCFF. */
    public static final int PCI_CONFIG_PORT = 0xCF8;
    /** ACPI PM1a event block: status (2 bytes) then enable (2 bytes). ACPI 6.4 §4.8.3.1. */
    public static final int ACPI_PM1A_EVT_PORT = 0x600;
    /** Length of the PM1a event block. */
    public static final int ACPI_PM1_EVT_LEN = 4;
    /** ACPI PM1a control block (SCI_EN, SLP_TYP, SLP_EN). ACPI 6.4 §4.8.3.2. */
    public static final int ACPI_PM1A_CNT_PORT = 0x604;
    /** Length of the PM1a control block. */
    public static final int ACPI_PM1_CNT_LEN = 2;
    /** ACPI PM timer: 32-bit counter at 3.579545 MHz. ACPI 6.4 §4.8.3.3. */
    public static final int ACPI_PM_TMR_PORT = 0x608;
    /** Length of the PM timer block. */
    public static final int ACPI_PM_TMR_LEN = 4;
    /** SCI interrupt: ISA IRQ 9, wired level-triggered active-high (see the MADT override). */
    public static final int ACPI_SCI_IRQ = 9;
    /**
     * SLP_TYP value of the S5 (soft-off) state, as the DSDT's {@code \_S5} package announces it.
     * The PM1 control device powers the machine off when the OS writes this SLP_TYP with SLP_EN.
     */
    public static final int ACPI_S5_SLP_TYP = 5;
    /** ISA IRQ of the 8254 PIT channel 0; the IOAPIC sees it on pin 2 (MADT override). */
    public static final int PIT_IRQ = 0;
    /** IOAPIC input the PIT is wired to. */
    public static final int PIT_GSI = 2;

    // ---- PCI INTx routing --------------------------------------------------------------------

    /** First GSI used by PCI INTx lines. */
    public static final int PCI_INTX_GSI_BASE = 16;
    /** Number of GSIs PCI INTx lines are spread over (16-23). */
    public static final int PCI_INTX_GSI_COUNT = 8;

    /**
     * The GSI that INTx pin {@code pin} (0 = INTA ... 3 = INTD) of a device in {@code slot} on bus 0
     * raises: the usual rotation by slot (PCI-to-PCI Bridge Spec §9.1) over GSIs 16-23, which are
     * level-triggered and active-low like any PCI interrupt. The DSDT's {@code _PRT} and the MP
     * table describe exactly this, so the PCI host bridge must use it too.
     */
    public static int pciIntxGsi(int slot, int pin) {
        if (slot < 0 || slot > 31 || pin < 0 || pin > 3) {
            throw new IllegalArgumentException("no PCI INTx line for slot " + slot + " pin " + pin);
        }
        return PCI_INTX_GSI_BASE + (slot + pin) % PCI_INTX_GSI_COUNT;
    }

    // ---- legacy low-memory areas -------------------------------------------------------------

    /** Start of the Extended BIOS Data Area; the 640 KiB of conventional memory end here. */
    public static final long EBDA_START = 0x9_FC00L;
    /** First byte above the legacy BIOS area: "high memory" starts at 1 MiB. */
    public static final long HIGH_MEMORY_START = 0x10_0000L;
    /** ACPI tables area: RSDP at its start (inside 0xE0000-0xFFFFF for a legacy scan). */
    public static final long ACPI_TABLES_BASE = 0xE_0000L;
    /** Size of the ACPI tables area. */
    public static final long ACPI_TABLES_SIZE = 0x1_0000L;
    /** MP floating pointer structure, then the MP configuration table (MP Spec 1.4 §4). */
    public static final long MP_TABLE_BASE = 0xF_0000L;
    /** Size of the MP table area (up to the end of the BIOS area). */
    public static final long MP_TABLE_SIZE = HIGH_MEMORY_START - MP_TABLE_BASE;

    // ---- boot structures in low RAM (all 4 KiB aligned, inside usable RAM) ------------------

    /** Boot GDT: null, 0x08 flat 32-bit code, 0x10 flat 64-bit code, 0x18 flat data. */
    public static final long BOOT_GDT = 0x1000;
    /** PML4 of the boot identity map. */
    public static final long BOOT_PML4 = 0x2000;
    /** PDPT of the boot identity map (4 entries used). */
    public static final long BOOT_PDPT = 0x3000;
    /** Four page directories mapping the first 4 GiB with 2 MiB pages (0x4000-0x7FFF). */
    public static final long BOOT_PD = 0x4000;
    /** Number of page directories (each maps 1 GiB). */
    public static final int BOOT_PD_COUNT = 4;
    /** Top of the 4 KiB boot stack (0x8000-0x8FFF); RSP/ESP point here at entry. */
    public static final long BOOT_STACK_TOP = 0x9000;
    /** Linux zero page ({@code struct boot_params}, 4 KiB). */
    public static final long ZERO_PAGE = 0x9000;
    /** Multiboot information or PVH {@code hvm_start_info}, with module lists and memory maps. */
    public static final long BOOT_INFO = 0xA000;
    /** Size of the boot information area. */
    public static final long BOOT_INFO_SIZE = 0x1_6000L;
    /** Kernel command line (NUL terminated). */
    public static final long CMDLINE = 0x2_0000L;
    /** Largest command line including its NUL terminator. */
    public static final long CMDLINE_MAX = 0x1_0000L;
    /** End of the boot-structure area; kernels and modules are never placed below it. */
    public static final long BOOT_AREA_END = CMDLINE + CMDLINE_MAX;
}
