package dev.jvisor.devices.pci;

/**
 * Which GSI a slot's INTx pin reaches: the board wiring the ACPI {@code _PRT} (and the MP table)
 * describe to the guest. The wiring code must use the same mapping for both.
 */
@FunctionalInterface
public interface IntxRouting {
    /** The GSI of {@code pin} (1-4 for INTA-INTD) of the device in {@code slot} (0-31). */
    int gsi(int slot, int pin);

    /**
     * The usual rotation ("swizzle") over {@code lineCount} lines starting at {@code firstGsi}:
     * INTA of slot {@code s} reaches line {@code s % lineCount}, INTB the next line, and so on, so that
     * neighbouring slots spread over the lines. With GSIs 16-23: slot 1 INTA → 17, slot 1 INTB → 18.
     */
    static IntxRouting rotating(int firstGsi, int lineCount) {
        if (firstGsi < 0 || lineCount < 1) {
            throw new IllegalArgumentException(String.format(
                    "need a non-negative first GSI and at least one line, got %d and %d", firstGsi, lineCount));
        }
        return (slot, pin) -> firstGsi + (slot + pin - 1) % lineCount;
    }
}
