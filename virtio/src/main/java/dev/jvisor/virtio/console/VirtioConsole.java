package dev.jvisor.virtio.console;

import dev.jvisor.virtio.AbstractVirtioDevice;
import dev.jvisor.virtio.DeviceType;
import dev.jvisor.virtio.LittleEndian;
import dev.jvisor.virtio.VirtioFeatures;
import dev.jvisor.virtio.queue.DescriptorChain;
import dev.jvisor.virtio.queue.SplitQueue;
import dev.jvisor.virtio.queue.VirtqueueException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * virtio-console (virtio 1.2 section 5.3) with a single port (no VIRTIO_CONSOLE_F_MULTIPORT):
 * queue 0 carries host input to the guest, queue 1 guest output to a host {@link OutputStream}.
 * VIRTIO_CONSOLE_F_EMERG_WRITE lets the driver print a character through configuration space
 * before its queues work.
 *
 * <p>Guest output is written inline on the notifying vCPU and flushed per batch. Host input goes
 * into a bounded buffer ({@link #offerInput}, or a pump thread over an {@link InputStream} started by
 * {@link #attachInput}) and from there into the receive buffers the driver posts; while the buffer
 * is full the pump waits, so a fast host source cannot outrun the guest.
 */
public final class VirtioConsole extends AbstractVirtioDevice {
    // Feature bits (section 5.3.3).
    public static final long F_EMERG_WRITE = 1L << 2;

    public static final int RECEIVE = 0;
    public static final int TRANSMIT = 1;

    // Configuration layout (section 5.3.4).
    static final int CFG_COLS = 0;
    static final int CFG_ROWS = 2;
    static final int CFG_MAX_NR_PORTS = 4;
    static final int CFG_EMERG_WR = 8;
    static final int CONFIG_SIZE = 12;

    /** Host input buffered while the guest has no receive buffers. */
    public static final int INPUT_BUFFER = 64 * 1024;
    private static final int QUEUE_SIZE = 128;
    private static final int CHUNK = 4096;

    private final OutputStream output;
    private final Object outputLock = new Object();
    private final byte[] txScratch = new byte[CHUNK];
    private final byte[] emergency = new byte[1];
    private final byte[] config = new byte[CONFIG_SIZE];
    private final DescriptorChain chain = new DescriptorChain();
    private final QueueWork transmit = this::transmit;
    private final QueueWork deliver = this::deliverInput;
    private boolean outputFailed;

    // Host input: a ring guarded by inputLock (taken inside the queue lock, never around it).
    private final Object inputLock = new Object();
    private final byte[] input = new byte[INPUT_BUFFER];
    private int inputHead;
    private int inputCount;
    private final byte[] rxScratch = new byte[CHUNK];
    private volatile boolean closed;
    private Thread pump;

    /** @param output where guest output goes (flushed after every batch) */
    public VirtioConsole(String name, OutputStream output) {
        super(name);
        this.output = Objects.requireNonNull(output, "output");
        // cols/rows stay 0 (they mean something only with VIRTIO_CONSOLE_F_SIZE); emerg_wr reads as 0.
        LittleEndian.put(config, CFG_MAX_NR_PORTS, 4, 1);
    }

    @Override
    public DeviceType type() {
        return DeviceType.CONSOLE;
    }

    @Override
    public long offeredFeatures() {
        return F_EMERG_WRITE | VirtioFeatures.INDIRECT_DESC | VirtioFeatures.EVENT_IDX;
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int maxQueueSize(int index) {
        return QUEUE_SIZE;
    }

    @Override
    public int configSize() {
        return CONFIG_SIZE;
    }

    @Override
    public long readConfig(int offset, int size) {
        return LittleEndian.readConfig(config, offset, size);
    }

    @Override
    public void writeConfig(int offset, int size, long value) {
        if (offset == CFG_EMERG_WR) {
            // Section 5.3.4: writing emerg_wr outputs one character, queues or not.
            synchronized (outputLock) {
                emergency[0] = (byte) value;
                writeOutput(emergency, 1);
                flushOutput();
            }
        }
    }

    @Override
    public void queueNotified(int index) {
        switch (index) {
            case TRANSMIT -> withQueues(transmit);
            case RECEIVE -> withQueues(deliver);
            default -> {
            }
        }
    }

    @Override
    protected void afterActivate() {
        withQueues(deliver); // input typed before the driver was ready
    }

    // ---- guest output ----

    private void transmit() throws VirtqueueException {
        SplitQueue queue = queue(TRANSMIT);
        if (queue == null) {
            return;
        }
        synchronized (outputLock) {
            queue.disableNotifications();
            do {
                while (queue.pop(chain)) {
                    long length = chain.readableLength();
                    for (long at = 0; at < length; at += CHUNK) {
                        int n = (int) Math.min(CHUNK, length - at);
                        chain.read(at, txScratch, 0, n);
                        writeOutput(txScratch, n);
                    }
                    putUsed(TRANSMIT, queue, chain.head(), 0);
                }
            } while (queue.enableNotifications());
            flushOutput();
        }
    }

    private void writeOutput(byte[] bytes, int length) {
        if (outputFailed) {
            return;
        }
        try {
            output.write(bytes, 0, length);
        } catch (IOException e) {
            outputFailed = true; // the guest keeps running; its console output is lost from here on
            log.warn("{}: console output failed, discarding further output: {}", name(), e.getMessage());
        }
    }

    private void flushOutput() {
        if (outputFailed) {
            return;
        }
        try {
            output.flush();
        } catch (IOException e) {
            outputFailed = true;
            log.warn("{}: console output failed, discarding further output: {}", name(), e.getMessage());
        }
    }

    // ---- host input ----

    /**
     * Queues host input for the guest without blocking.
     *
     * @return how many bytes were taken (fewer than {@code length} when the buffer is full)
     */
    public int offerInput(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        int taken;
        synchronized (inputLock) {
            taken = Math.min(length, INPUT_BUFFER - inputCount);
            for (int i = 0; i < taken; i++) {
                input[(inputHead + inputCount + i) % INPUT_BUFFER] = bytes[offset + i];
            }
            inputCount += taken;
        }
        if (taken > 0) {
            withQueues(deliver);
        }
        return taken;
    }

    /** Bytes of host input waiting for guest receive buffers. */
    public int pendingInput() {
        synchronized (inputLock) {
            return inputCount;
        }
    }

    /**
     * Starts a thread that copies {@code in} to the guest until end of stream or {@link #close},
     * waiting whenever the input buffer is full.
     */
    public synchronized void attachInput(InputStream in) {
        Objects.requireNonNull(in, "in");
        if (pump != null) {
            throw new IllegalStateException(name() + " already has an input stream");
        }
        pump = Thread.ofVirtual().name(name() + "-input").start(() -> pump(in));
    }

    private void pump(InputStream in) {
        byte[] buffer = new byte[CHUNK];
        try {
            int n;
            while (!closed && (n = in.read(buffer)) >= 0) {
                int done = 0;
                while (done < n && !closed) {
                    done += offerInput(buffer, done, n - done);
                    if (done < n) {
                        synchronized (inputLock) {
                            if (inputCount == INPUT_BUFFER && !closed) {
                                inputLock.wait(100); // woken when the guest takes input
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            log.warn("{}: console input failed: {}", name(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void deliverInput() throws VirtqueueException {
        SplitQueue queue = queue(RECEIVE);
        if (queue == null) {
            return;
        }
        while (true) {
            int n;
            synchronized (inputLock) {
                if (inputCount == 0) {
                    return;
                }
                if (!queue.pop(chain)) {
                    if (queue.enableNotifications()) {
                        continue;
                    }
                    return;
                }
                n = (int) Math.min(Math.min(inputCount, chain.writableLength()), CHUNK);
                for (int i = 0; i < n; i++) {
                    rxScratch[i] = input[(inputHead + i) % INPUT_BUFFER];
                }
                inputHead = (inputHead + n) % INPUT_BUFFER;
                inputCount -= n;
                inputLock.notifyAll();
            }
            chain.write(0, rxScratch, 0, n);
            putUsed(RECEIVE, queue, chain.head(), n);
        }
    }

    /** Stops the device and the input pump (the streams stay open: they belong to the caller). */
    @Override
    public void close() {
        closed = true;
        synchronized (inputLock) {
            inputLock.notifyAll();
        }
        reset();
        Thread t;
        synchronized (this) {
            t = pump;
        }
        if (t != null) {
            // A pump blocked in InputStream.read cannot be woken portably; it ends at its next read.
            try {
                t.join(TimeUnit.MILLISECONDS.toMillis(200));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
