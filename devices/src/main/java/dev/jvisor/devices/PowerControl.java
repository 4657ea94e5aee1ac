package dev.jvisor.devices;

/**
 * What the guest can ask of the machine's power supply: turn it off (ACPI S5, through
 * {@code PM1a_CNT}) or reset it (the 0xCF9 reset register, the i8042 reset line).
 *
 * <p>Implemented by the VMM, which then stops the vCPUs. Devices call these methods on the vCPU
 * thread that made the access, holding no device lock; implementations must therefore only
 * <em>request</em> the stop (for example kick the vCPUs and return) and never wait for the vCPU
 * threads, one of which is the caller.
 */
public interface PowerControl {
    /** The guest asked to power the machine off. */
    void powerOff();

    /** The guest asked for a system reset. */
    void reset();
}
