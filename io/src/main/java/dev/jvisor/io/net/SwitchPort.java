package dev.jvisor.io.net;

import java.io.IOException;
import java.nio.ByteBuffer;

/** One port of a {@link VirtualSwitch}, seen by a guest's network device as its {@link NetBackend}. */
public final class SwitchPort implements NetBackend {
    private final VirtualSwitch owner;
    private final MacAddress mac;
    private final PortOptions options;
    private final FrameQueue queue;
    private final NetCounters counters = new NetCounters();
    private volatile boolean closed;

    SwitchPort(VirtualSwitch owner, MacAddress mac, PortOptions options) {
        this.owner = owner;
        this.mac = mac;
        this.options = options;
        this.queue = new FrameQueue(options.queueBytes());
    }

    @Override
    public MacAddress mac() {
        return mac;
    }

    public PortOptions options() {
        return options;
    }

    /** The switch this port belongs to. */
    public VirtualSwitch owner() {
        return owner;
    }

    @Override
    public boolean send(ByteBuffer frame) throws IOException {
        if (closed) {
            throw new IOException("switch port " + mac + " on " + owner.name() + " is closed");
        }
        int len = frame.remaining();
        boolean ok = owner.forward(this, frame);
        frame.position(frame.limit());
        if (ok) {
            counters.sent(len);
        } else {
            counters.txDropped();
        }
        return ok;
    }

    /** Called by the switch on the sender's thread. */
    void deliver(ByteBuffer frame) {
        if (!closed) {
            queue.offer(frame);
        }
    }

    @Override
    public int nextFrameLength() {
        return queue.peekLength();
    }

    @Override
    public int receive(ByteBuffer dst) {
        int len = queue.poll(dst);
        if (len >= 0) {
            counters.received(len); // counted when the guest takes it, so stats never run ahead of the guest
        }
        return len;
    }

    @Override
    public void setFrameListener(Runnable listener) {
        queue.setListener(listener);
    }

    @Override
    public NetStats stats() {
        return counters.snapshot(queue.dropped());
    }

    @Override
    public void close() {
        closed = true;
        owner.disconnect(this);
    }

    @Override
    public String toString() {
        return "port " + mac + " on switch " + owner.name();
    }
}
