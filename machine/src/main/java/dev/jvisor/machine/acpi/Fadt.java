package dev.jvisor.machine.acpi;

import static dev.jvisor.machine.PlatformLayout.*;

import java.nio.ByteBuffer;

/**
 * The Fixed ACPI Description Table, revision 6.0 (ACPI 6.4 §5.2.9, Table 5.9), for a PC with the
 * fixed hardware registers of the PM1a event, PM1a control and PM timer blocks: not
 * hardware-reduced, ACPI permanently enabled (SMI_CMD = 0), reset through port 0xCF9.
 */
public final class Fadt {
    /** Table length for FADT major version 6. */
    public static final int LENGTH = 276;
    public static final int REVISION = 6;
    public static final int MINOR_REVISION = 0;
    /** Field offsets (Table 5.9). */
    public static final int FIRMWARE_CTRL = 36, DSDT = 40, PREFERRED_PM_PROFILE = 45, SCI_INT = 46, SMI_CMD = 48,
            PM1A_EVT_BLK = 56, PM1A_CNT_BLK = 64, PM_TMR_BLK = 76, PM1_EVT_LEN = 88, PM1_CNT_LEN = 89,
            PM_TMR_LEN = 91, P_LVL2_LAT = 96, P_LVL3_LAT = 98, CENTURY = 108, IAPC_BOOT_ARCH = 109, FLAGS = 112,
            RESET_REG = 116, RESET_VALUE = 128, FADT_MINOR_VERSION = 131, X_FIRMWARE_CTRL = 132, X_DSDT = 140,
            X_PM1A_EVT_BLK = 148, X_PM1B_EVT_BLK = 160, X_PM1A_CNT_BLK = 172, X_PM_TMR_BLK = 208,
            HYPERVISOR_VENDOR_ID = 268;
    /** IAPC_BOOT_ARCH bits (Table 5.11). */
    public static final int BOOT_LEGACY_DEVICES = 1, BOOT_8042 = 1 << 1, BOOT_VGA_NOT_PRESENT = 1 << 2;
    /** Feature flags (Table 5.10). */
    public static final int WBINVD = 1, PROC_C1 = 1 << 2, PWR_BUTTON = 1 << 4, SLP_BUTTON = 1 << 5,
            FIX_RTC = 1 << 6, TMR_VAL_EXT = 1 << 8, RESET_REG_SUP = 1 << 10, HW_REDUCED_ACPI = 1 << 20;
    /**
     * The flags jvisor sets: WBINVD works (a VM has coherent caches), C1 via HLT, no sleep button
     * (SLP_BUTTON), the RTC has no wake status bit in the fixed registers (FIX_RTC), the PM timer is
     * 32 bits wide (TMR_VAL_EXT), and RESET_REG works. PWR_BUTTON stays clear: the power button is
     * the fixed-feature one (PWRBTN_STS in PM1a), which lets the host ask for a clean shutdown.
     */
    public static final int BOARD_FLAGS = WBINVD | PROC_C1 | SLP_BUTTON | FIX_RTC | TMR_VAL_EXT | RESET_REG_SUP;
    /** C2/C3 latencies above 100/1000 us mean "not supported" (Table 5.9). */
    static final int NO_C2 = 0x0FFF, NO_C3 = 0x0FFF;

    private Fadt() {
    }

    /**
     * Builds the FADT.
     *
     * @param facs        guest address of the FACS (below 4 GiB)
     * @param dsdt        guest address of the DSDT (below 4 GiB)
     * @param i8042Present whether the board has the i8042 keyboard controller at 0x60/0x64
     */
    public static byte[] build(long facs, long dsdt, boolean i8042Present) {
        if (facs >>> 32 != 0 || dsdt >>> 32 != 0) {
            throw new IllegalArgumentException("FACS and DSDT must lie below 4 GiB");
        }
        ByteBuffer b = AcpiTable.start("FACP", LENGTH, REVISION);
        // ACPI 6.4 says at most one of FIRMWARE_CTRL and X_FIRMWARE_CTRL may be non-zero; the
        // 32-bit one serves every OS back to ACPI 1.0. Both DSDT fields may be set.
        b.putInt(FIRMWARE_CTRL, (int) facs);
        b.putInt(DSDT, (int) dsdt);
        b.put(PREFERRED_PM_PROFILE, (byte) 0);
        b.putShort(SCI_INT, (short) ACPI_SCI_IRQ);
        b.putInt(SMI_CMD, 0);
        b.putInt(PM1A_EVT_BLK, ACPI_PM1A_EVT_PORT);
        b.putInt(PM1A_CNT_BLK, ACPI_PM1A_CNT_PORT);
        b.putInt(PM_TMR_BLK, ACPI_PM_TMR_PORT);
        b.put(PM1_EVT_LEN, (byte) ACPI_PM1_EVT_LEN);
        b.put(PM1_CNT_LEN, (byte) ACPI_PM1_CNT_LEN);
        b.put(PM_TMR_LEN, (byte) ACPI_PM_TMR_LEN);
        b.putShort(P_LVL2_LAT, (short) NO_C2);
        b.putShort(P_LVL3_LAT, (short) NO_C3);
        // The RTC keeps the century in CMOS; naming it lets the OS read years past 2069 correctly.
        b.put(CENTURY, (byte) RTC_CENTURY_INDEX);
        int bootArch = BOOT_LEGACY_DEVICES | BOOT_VGA_NOT_PRESENT | (i8042Present ? BOOT_8042 : 0);
        b.putShort(IAPC_BOOT_ARCH, (short) bootArch);
        b.putInt(FLAGS, BOARD_FLAGS);
        GenericAddress.io(RESET_CONTROL_PORT, 8, GenericAddress.ACCESS_BYTE).writeTo(b, RESET_REG);
        // RESET_VALUE here is the field offset; the value written is the board's reset command.
        b.put(RESET_VALUE, (byte) dev.jvisor.machine.PlatformLayout.RESET_VALUE);
        b.put(FADT_MINOR_VERSION, (byte) MINOR_REVISION);
        b.putLong(X_DSDT, dsdt);
        GenericAddress.io(ACPI_PM1A_EVT_PORT, ACPI_PM1_EVT_LEN * 8, GenericAddress.ACCESS_WORD)
                .writeTo(b, X_PM1A_EVT_BLK);
        GenericAddress.io(ACPI_PM1A_CNT_PORT, ACPI_PM1_CNT_LEN * 8, GenericAddress.ACCESS_WORD)
                .writeTo(b, X_PM1A_CNT_BLK);
        GenericAddress.io(ACPI_PM_TMR_PORT, ACPI_PM_TMR_LEN * 8, GenericAddress.ACCESS_DWORD)
                .writeTo(b, X_PM_TMR_BLK);
        b.put(HYPERVISOR_VENDOR_ID, AcpiTable.ascii("JVISOR\0\0"));
        return AcpiTable.finish(b);
    }
}
