package dev.jvisor.irqchip;

/**
 * One counter of the Intel 8254 (8254 datasheet, "Modes of Operation"): modes 0-5, binary or BCD
 * counting, LSB / MSB / LSB-then-MSB access, counter latch and status latch, the null-count flag,
 * the GATE input and the OUT level.
 *
 * <p>Nothing advances per clock: the counting element is described by the tick at which it held a
 * known value ({@code base}, {@code baseCount}) and each question (current count, OUT level, next
 * rising edge of OUT) is answered in closed form for a given tick of the 1.193182 MHz input clock.
 * Writes take effect "on the next CLK pulse" as the datasheet says, i.e. at {@code tick + 1}.
 *
 * <p>Not thread-safe: {@link Pit8254} guards its channels.
 */
final class PitChannel {
    static final int ACCESS_LSB = 1;
    static final int ACCESS_MSB = 2;
    static final int ACCESS_WORD = 3;
    private static final long NEVER = Long.MAX_VALUE;

    // Programming from the control word.
    private int modeBits;
    private int mode;
    private int access = ACCESS_WORD;
    private boolean bcd;
    private int modulus = 0x10000;
    /** The programmed initial count as a binary number, 1..modulus (a written 0 means modulus). */
    private int reload = 0x10000;
    /** A full count has been written since the last control word. */
    private boolean programmed;

    // Byte sequencing of reads and writes.
    private boolean writeMsbNext;
    private int writeLsb;
    private boolean readMsbNext;
    private boolean countLatched;
    private int latchedCount;
    private boolean latchedMsbNext;
    private boolean statusLatched;
    private int latchedStatus;

    private boolean gate;

    // The counting element.
    /** Counting: the closed forms apply from {@code base} on. Otherwise held at heldCount/heldOut. */
    private boolean running;
    private long base;
    private int baseCount;
    /** Modes 0, 4, 5: the terminal-count event of the current count is still ahead. */
    private boolean armed;
    private int heldCount;
    private boolean heldOut = true;
    /** Modes 2 and 3: a count written while counting takes over at pendingAt (see datasheet). */
    private long pendingAt = NEVER;
    private long pendingBase;
    private int pendingCount;
    private long nullCountUntil = NEVER;

    PitChannel(boolean gate) {
        this.gate = gate;
    }

    // ---------------------------------------------------------------- programming

    /** A control word for this counter with RW != 00 (latch commands go to {@link #latchCount}). */
    void writeControl(int control, long tick) {
        int previousCount = count(tick);
        access = (control >>> 4) & 3;
        modeBits = (control >>> 1) & 7;
        mode = modeBits >= 6 ? modeBits - 4 : modeBits; // x10 and x11 are modes 2 and 3
        bcd = (control & 1) != 0;
        modulus = bcd ? 10_000 : 0x10000;
        // "When a Control Word is written to a Counter, all Control Logic is immediately reset":
        // OUT goes to its initial state (low in mode 0, high otherwise) and the count is undefined
        // until a new one is written.
        running = false;
        armed = false;
        programmed = false;
        pendingAt = NEVER;
        nullCountUntil = NEVER;
        heldCount = previousCount % modulus;
        heldOut = mode != 0;
        writeMsbNext = false;
        readMsbNext = false;
        countLatched = false;
        statusLatched = false;
    }

    /** A byte written to the counter's port. */
    void write(int value, long tick) {
        int data = value & 0xFF;
        switch (access) {
            case ACCESS_LSB -> load(data, tick);
            case ACCESS_MSB -> load(data << 8, tick);
            default -> {
                if (!writeMsbNext) {
                    writeLsb = data;
                    writeMsbNext = true;
                    if (mode == 0) {
                        // Mode 0: "Writing the first byte disables counting. OUT is set low
                        // immediately (no clock pulse required)."
                        hold(tick);
                        heldOut = false;
                    }
                } else {
                    writeMsbNext = false;
                    load(writeLsb | data << 8, tick);
                }
            }
        }
    }

    private void load(int raw, long tick) {
        int count = decode(raw);
        reload = count;
        programmed = true;
        switch (mode) {
            case 0, 4 -> {
                // Loaded on the next CLK pulse, counting restarts from the new count.
                heldCount = count(tick);
                heldOut = mode == 4;
                start(tick + 1, count);
                nullCountUntil = tick + 1;
            }
            case 1, 5 -> nullCountUntil = NEVER; // loaded by the next trigger on GATE
            default -> {
                normalize(tick);
                if (running && tick >= base) {
                    // Modes 2/3: a new count does not disturb the current period (mode 2) or
                    // half-cycle (mode 3); it is loaded at the end of it.
                    schedulePending(tick, count);
                    nullCountUntil = pendingAt;
                } else {
                    heldCount = count(tick);
                    heldOut = true;
                    pendingAt = NEVER;
                    start(tick + 1, count);
                    nullCountUntil = tick + 1;
                }
            }
        }
    }

    /** Loads the counting element with {@code count} at tick {@code at}; it counts while GATE is high. */
    private void start(long at, int count) {
        base = at;
        baseCount = count;
        armed = true;
        if (gate) {
            running = true;
        } else {
            running = false;
            heldCount = count;
        }
    }

    private void schedulePending(long tick, int count) {
        long elapsed = tick - base;
        int period = baseCount;
        if (mode == 2) {
            pendingAt = base + (elapsed / period + 1) * period;
            pendingBase = pendingAt;
        } else {
            long phase = elapsed % period;
            int high = (period + 1) / 2;
            if (phase < high) {
                // End of the high half: the new count starts in its low half.
                pendingAt = tick - phase + high;
                pendingBase = pendingAt - (count + 1) / 2;
            } else {
                pendingAt = tick - phase + period;
                pendingBase = pendingAt;
            }
        }
        pendingCount = count;
    }

    /** Applies a pending mode 2/3 reload whose time has come. */
    private void normalize(long tick) {
        if (pendingAt <= tick) {
            base = pendingBase;
            baseCount = pendingCount;
            pendingAt = NEVER;
        }
    }

    /** Freezes the counting element at its value and OUT level at {@code tick}. */
    private void hold(long tick) {
        normalize(tick);
        if (!running) {
            return;
        }
        if (tick >= base) {
            heldCount = count(tick);
            heldOut = out(tick);
            if (tick - base >= baseCount) {
                armed = false; // the terminal count has been reached already
            }
        } else {
            heldCount = baseCount; // the load on the next pulse happens even without counting
        }
        running = false;
    }

    /** The GATE input (tied high for counters 0 and 1; port 0x61 bit 0 for counter 2). */
    void setGate(boolean level, long tick) {
        if (level == gate) {
            return;
        }
        normalize(tick);
        gate = level;
        if (!programmed) {
            return;
        }
        switch (mode) {
            case 0, 4 -> {
                // GATE low suspends counting; high resumes it from the held value.
                if (!level) {
                    hold(tick);
                } else if (!running) {
                    running = true;
                    base = tick;
                    baseCount = heldCount;
                }
            }
            case 1, 5 -> {
                if (level) {
                    // A rising edge (re)triggers: the count is loaded on the next CLK pulse.
                    heldCount = count(tick);
                    heldOut = out(tick);
                    base = tick + 1;
                    baseCount = reload;
                    running = true;
                    armed = true;
                    nullCountUntil = tick + 1;
                }
            }
            default -> {
                if (!level) {
                    // Modes 2/3: GATE low stops counting and forces OUT high at once.
                    if (running) {
                        heldCount = count(tick);
                        running = false;
                    }
                    heldOut = true;
                    if (pendingAt != NEVER) {
                        pendingAt = NEVER;
                        nullCountUntil = NEVER;
                    }
                } else {
                    // A trigger reloads the initial count on the next CLK pulse.
                    heldCount = count(tick);
                    heldOut = true;
                    start(tick + 1, reload);
                    nullCountUntil = Math.min(nullCountUntil, tick + 1);
                }
            }
        }
    }

    // ---------------------------------------------------------------- reading

    /** Counter latch command: freezes the count for reading unless one is latched already. */
    void latchCount(long tick) {
        if (!countLatched) {
            latchedCount = encode(count(tick));
            countLatched = true;
            latchedMsbNext = false;
        }
    }

    /** Status latch (read-back command): freezes the status byte unless one is latched already. */
    void latchStatus(long tick) {
        if (!statusLatched) {
            latchedStatus = status(tick);
            statusLatched = true;
        }
    }

    /** A byte read from the counter's port: latched status first, then latched or live count. */
    int read(long tick) {
        if (statusLatched) {
            statusLatched = false;
            return latchedStatus;
        }
        if (countLatched) {
            boolean msb = switch (access) {
                case ACCESS_LSB -> false;
                case ACCESS_MSB -> true;
                default -> latchedMsbNext;
            };
            if (access == ACCESS_WORD && !latchedMsbNext) {
                latchedMsbNext = true;
            } else {
                countLatched = false;
            }
            return msb ? latchedCount >>> 8 : latchedCount & 0xFF;
        }
        int value = encode(count(tick));
        boolean msb = switch (access) {
            case ACCESS_LSB -> false;
            case ACCESS_MSB -> true;
            default -> {
                boolean next = readMsbNext;
                readMsbNext = !readMsbNext;
                yield next;
            }
        };
        return msb ? value >>> 8 : value & 0xFF;
    }

    /** Read-back status byte: OUT, null count, RW, mode, BCD (datasheet Figure "Status Byte"). */
    int status(long tick) {
        return (out(tick) ? 0x80 : 0)
                | (tick < nullCountUntil ? 0x40 : 0)
                | access << 4
                | modeBits << 1
                | (bcd ? 1 : 0);
    }

    /** The counting element's value at {@code tick}, as a binary number below the modulus. */
    int count(long tick) {
        normalize(tick);
        if (!running || tick < base) {
            return heldCount;
        }
        long elapsed = tick - base;
        int n = baseCount;
        return switch (mode) {
            case 2 -> (int) ((n - elapsed % n) % modulus);
            case 3 -> squareWaveCount(elapsed, n);
            default -> (int) Math.floorMod(n - elapsed, (long) modulus);
        };
    }

    /**
     * Mode 3 counts down by two: an even count N reads N, N-2, .. 2 in each half; an odd count
     * reads N-1, .. 0 for the (N+1)/2 high ticks and N-1, .. 2 for the (N-1)/2 low ticks.
     */
    private int squareWaveCount(long elapsed, int n) {
        long phase = elapsed % n;
        long half = (n + 1) / 2;
        long inHalf = phase < half ? phase : phase - half;
        long value = (n & 1) == 0 ? n - 2 * inHalf : n - 1 - 2 * inHalf;
        return (int) (value % modulus);
    }

    /** The OUT level at {@code tick}. */
    boolean out(long tick) {
        normalize(tick);
        if (!running || tick < base) {
            return heldOut;
        }
        long elapsed = tick - base;
        int n = baseCount;
        return switch (mode) {
            case 0 -> !armed || elapsed >= n; // high once the count reaches zero
            case 1 -> elapsed >= n; // low for N pulses after the trigger
            case 2 -> elapsed % n != n - 1; // low for the one pulse when the count is 1
            case 3 -> elapsed % n < (n + 1) / 2; // high for the first (N+1)/2 pulses of each period
            default -> !(armed && elapsed == n); // modes 4, 5: one low pulse when the count expires
        };
    }

    /** The first tick after {@code after} at which OUT rises, or {@link Long#MAX_VALUE}. */
    long nextRisingEdge(long after) {
        normalize(after);
        if (!running) {
            return NEVER;
        }
        int n = baseCount;
        long edge = switch (mode) {
            case 0 -> armed ? base + n : NEVER;
            case 1 -> base + n;
            case 2, 3 -> n < 2 ? NEVER : periodicEdge(base, n, after);
            default -> armed ? base + n + 1 : NEVER;
        };
        if (pendingAt != NEVER && edge > pendingAt) {
            edge = pendingCount < 2 ? NEVER : periodicEdge(pendingBase, pendingCount, Math.max(after, pendingAt - 1));
        }
        return edge > after ? edge : NEVER;
    }

    /** The first {@code start + k * period} (k >= 1) after {@code after}: OUT rises at each reload. */
    private static long periodicEdge(long start, int period, long after) {
        if (after < start) {
            return start + period;
        }
        return start + ((after - start) / period + 1) * period;
    }

    private int encode(int count) {
        int value = count % modulus;
        if (!bcd) {
            return value & 0xFFFF;
        }
        return value / 1000 << 12 | value / 100 % 10 << 8 | value / 10 % 10 << 4 | value % 10;
    }

    private int decode(int raw) {
        int value = bcd
                ? ((raw >>> 12) & 0xF) * 1000 + ((raw >>> 8) & 0xF) * 100 + ((raw >>> 4) & 0xF) * 10 + (raw & 0xF)
                : raw & 0xFFFF;
        value %= modulus;
        return value == 0 ? modulus : value;
    }

    boolean gate() {
        return gate;
    }
}
