package dev.jvisor.memory;

/**
 * A guest-controlled address or length fell outside guest RAM (or wrapped around).
 *
 * <p>Devices and back ends catch this and turn it into a guest-visible error (a device that needs
 * reset, a bus error); it never escapes as a host crash.
 */
public final class GuestMemoryException extends RuntimeException {
    private final long address;
    private final long length;

    public GuestMemoryException(long address, long length, String what) {
        super(String.format("%s: guest physical range [0x%x, +0x%x) is not backed by RAM", what, address, length));
        this.address = address;
        this.length = length;
    }

    /** The first guest physical address of the rejected access. */
    public long address() {
        return address;
    }

    /** The length in bytes of the rejected access. */
    public long length() {
        return length;
    }
}
