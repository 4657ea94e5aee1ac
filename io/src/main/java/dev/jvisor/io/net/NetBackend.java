package dev.jvisor.io.net;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a virtio-net device's frames go and come from: a port of a {@link VirtualSwitch}, user-mode
 * NAT ({@code dev.jvisor.io.net.slirp.SlirpBackend}) or a host TAP interface
 * ({@code dev.jvisor.io.net.tap.TapBackend}).
 *
 * <p>Frames are whole Ethernet frames (destination MAC first) without the virtio-net header and
 * without the frame check sequence, {@link #MIN_FRAME} to {@link #MAX_FRAME} bytes.
 *
 * <p><b>Receive path, with back-pressure.</b> Frames for the guest wait in a bounded queue inside the
 * back end. The device pulls them when it has receive buffers: {@link #nextFrameLength()} to size the
 * buffer chain, then {@link #receive(ByteBuffer)}. When the queue goes from empty to non-empty the
 * back end runs the listener set with {@link #setFrameListener}; the device then retries its pull
 * (typically it kicks its rx queue worker). A full queue drops new frames and counts them in
 * {@link NetStats#rxDropped()}, as a NIC whose ring is full would.
 *
 * <p><b>Threading.</b> {@link #send} may be called by one thread at a time (the device's tx worker);
 * {@link #nextFrameLength} and {@link #receive} by one consumer thread at a time; both may run at the
 * same time as each other. The listener runs on a back-end thread and must not block. {@link #close}
 * may be called from any thread, once the device stopped using the back end.
 */
public interface NetBackend extends AutoCloseable {

    /** Smallest frame accepted: the 14-byte Ethernet header. */
    int MIN_FRAME = 14;

    /**
     * Largest frame accepted: 65535 bytes of IP payload plus the Ethernet header and a VLAN tag, the
     * largest a virtio-net driver hands over without segmentation offloads.
     */
    int MAX_FRAME = 65_535 + 14 + 4;

    /** The guest's MAC address on this back end (the device reports it in its config space). */
    MacAddress mac();

    /**
     * Sends one frame from the guest. Consumes {@code frame.remaining()} bytes.
     *
     * @return false if the frame was dropped (bad length, MAC filter, host queue full), which is
     *     counted in {@link NetStats#txDropped()}; the guest sees drops as a lossy link
     * @throws IOException if the back end failed for good (closed, host interface gone)
     */
    boolean send(ByteBuffer frame) throws IOException;

    /** Length of the next frame waiting for the guest, or -1 if none. */
    int nextFrameLength();

    /**
     * Moves the next waiting frame into {@code dst} (from its position), advancing the position.
     *
     * @return the frame's length, or -1 if no frame is waiting
     * @throws IllegalArgumentException if {@code dst.remaining()} is smaller than
     *     {@link #nextFrameLength()}; the frame stays queued
     */
    int receive(ByteBuffer dst);

    /** Sets the callback run when frames become available after the queue was empty (null: none). */
    void setFrameListener(Runnable listener);

    /** Traffic counters since the back end was created. */
    NetStats stats();

    /** Stops the back end's threads and releases host resources; later sends throw IOException. */
    @Override
    void close();
}
