package dev.jvisor.io.net;

import java.util.concurrent.atomic.LongAdder;

/** Thread-safe traffic counters behind {@link NetBackend#stats()}. */
public final class NetCounters {
    private final LongAdder txFrames = new LongAdder();
    private final LongAdder txBytes = new LongAdder();
    private final LongAdder txDropped = new LongAdder();
    private final LongAdder rxFrames = new LongAdder();
    private final LongAdder rxBytes = new LongAdder();

    public void sent(int bytes) {
        txFrames.increment();
        txBytes.add(bytes);
    }

    public void txDropped() {
        txDropped.increment();
    }

    public void received(int bytes) {
        rxFrames.increment();
        rxBytes.add(bytes);
    }

    /** A snapshot; rx drops come from the receive queue. */
    public NetStats snapshot(long rxDropped) {
        return new NetStats(txFrames.sum(), txBytes.sum(), txDropped.sum(), rxFrames.sum(), rxBytes.sum(), rxDropped);
    }
}
