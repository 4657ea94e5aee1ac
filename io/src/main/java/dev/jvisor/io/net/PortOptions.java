package dev.jvisor.io.net;

/**
 * Settings of one {@link VirtualSwitch} port.
 *
 * @param macFilter drop frames whose source is not the port's MAC, and pin that MAC to the port
 * @param queueBytes bytes of frames that may wait for the guest before new ones are dropped
 */
public record PortOptions(boolean macFilter, int queueBytes) {
    /** 1 MiB: about 700 full-size frames, enough to absorb a burst while the guest refills its ring. */
    public static final int DEFAULT_QUEUE_BYTES = 1 << 20;

    public PortOptions {
        if (queueBytes < NetBackend.MAX_FRAME + 4) {
            throw new IllegalArgumentException("port queue of " + queueBytes + " bytes is smaller than one maximum-size frame");
        }
    }

    /** MAC filtering on, default queue: the safe choice for guests. */
    public static PortOptions filtered() {
        return new PortOptions(true, DEFAULT_QUEUE_BYTES);
    }

    /** No filtering (a port for a router or bridge that forwards other stations' frames). */
    public static PortOptions open() {
        return new PortOptions(false, DEFAULT_QUEUE_BYTES);
    }
}
