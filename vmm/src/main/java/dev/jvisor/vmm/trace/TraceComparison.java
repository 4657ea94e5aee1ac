package dev.jvisor.vmm.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Finds where two boots part ways: compares the instruction addresses of a jvisor trace
 * ({@code --trace insn}) with those of a reference, typically QEMU's {@code -singlestep -d exec}
 * log, and reports the first divergence with the jvisor lines that led to it.
 *
 * <p>Both streams are reduced to the addresses inside a range of interest, consecutive repeats are
 * folded (QEMU logs a REP string instruction once per iteration), and short excursions present on
 * one side only — page-fault handlers that one boot path takes and the other does not, interrupts —
 * are skipped by resynchronising on a run of matching addresses.
 */
public final class TraceComparison {
    /** A divergence: where, after how many matching instructions, and what led to it. */
    public record Divergence(long matched, long reference, long jvisor, List<String> context,
                             List<Long> referenceNext, List<Long> jvisorNext, int resyncs) {
    }

    /** The outcome: a divergence, or the number of matching instructions when one side ended. */
    public record Result(long matched, int resyncs, Divergence divergence) {
    }

    private final long from;
    private final long to;
    private final long syncAddress;
    private final int lookahead;
    private final int contextLines;

    /**
     * @param from        lowest address compared (inclusive)
     * @param to          highest address compared (exclusive)
     * @param syncAddress start comparing at the first occurrence of this address on both sides (-1:
     *                    from the start)
     * @param lookahead   how far to look for a resynchronisation point after a mismatch
     */
    public TraceComparison(long from, long to, long syncAddress, int lookahead, int contextLines) {
        this.from = from;
        this.to = to;
        this.syncAddress = syncAddress;
        this.lookahead = lookahead;
        this.contextLines = contextLines;
    }

    /** One instruction of a trace: its address and the line it came from. */
    record Entry(long address, String line) {
    }

    /** Reads the address of a jvisor trace line ({@code cpuN insn 0x... ...}), or -1. */
    static long jvisorAddress(String line) {
        int i = line.indexOf(" insn ");
        if (i < 0) {
            return -1;
        }
        int start = line.indexOf("0x", i);
        if (start < 0) {
            return -1;
        }
        int end = start + 2;
        while (end < line.length() && Character.digit(line.charAt(end), 16) >= 0) {
            end++;
        }
        return Long.parseUnsignedLong(line.substring(start + 2, end), 16);
    }

    /**
     * Reads the guest PC of a QEMU {@code -d exec} line
     * ({@code Trace 0: 0x7f... [cs_base/pc/flags/...] }), or -1.
     */
    static long qemuAddress(String line) {
        int open = line.indexOf('[');
        if (!line.startsWith("Trace") || open < 0) {
            return -1;
        }
        int first = line.indexOf('/', open);
        if (first < 0) {
            return -1;
        }
        int second = line.indexOf('/', first + 1);
        if (second < 0) {
            return -1;
        }
        return Long.parseUnsignedLong(line.substring(first + 1, second), 16);
    }

    /** Compares a jvisor trace file with a QEMU exec log. */
    public Result compare(Path jvisorTrace, Path qemuLog) throws IOException {
        try (BufferedReader j = Files.newBufferedReader(jvisorTrace);
             BufferedReader q = Files.newBufferedReader(qemuLog)) {
            return compare(entries(q.lines().iterator(), true), entries(j.lines().iterator(), false));
        }
    }

    /** Compares two instruction streams (reference first). */
    Result compare(Iterator<Entry> reference, Iterator<Entry> jvisor) {
        Window ref = new Window(reference);
        Window jv = new Window(jvisor);
        Deque<String> context = new ArrayDeque<>();
        long matched = 0;
        int resyncs = 0;
        while (ref.has(0) && jv.has(0)) {
            Entry a = ref.get(0);
            Entry b = jv.get(0);
            if (a.address() == b.address()) {
                context.addLast(b.line());
                if (context.size() > contextLines) {
                    context.removeFirst();
                }
                ref.drop(1);
                jv.drop(1);
                matched++;
                continue;
            }
            int skip = resync(ref, jv);
            if (skip > 0) {
                jv.drop(skip);
                resyncs++;
                continue;
            }
            skip = resync(jv, ref);
            if (skip > 0) {
                ref.drop(skip);
                resyncs++;
                continue;
            }
            return new Result(matched, resyncs, new Divergence(matched, a.address(), b.address(),
                    List.copyOf(context), ref.addresses(8), jv.addresses(8), resyncs));
        }
        return new Result(matched, resyncs, null);
    }

    /**
     * How many entries of {@code other} to skip so that it continues exactly as {@code base} does
     * for the next few entries; 0 if no such point is within the lookahead.
     */
    private int resync(Window base, Window other) {
        final int confirm = 8;
        for (int k = 1; k < lookahead && other.has(k); k++) {
            boolean ok = true;
            for (int j = 0; j < confirm && ok; j++) {
                ok = base.has(j) && other.has(k + j) && base.get(j).address() == other.get(k + j).address();
            }
            if (ok) {
                return k;
            }
        }
        return 0;
    }

    private Iterator<Entry> entries(Iterator<String> lines, boolean qemu) {
        return new Iterator<>() {
            private Entry next;
            private long last = -1;
            private boolean synced = syncAddress < 0;

            @Override
            public boolean hasNext() {
                while (next == null && lines.hasNext()) {
                    String line = lines.next();
                    long a = qemu ? qemuAddress(line) : jvisorAddress(line);
                    if (a < 0) {
                        continue;
                    }
                    if (!synced) {
                        if (a != syncAddress) {
                            continue;
                        }
                        synced = true;
                    }
                    if (a == last || Long.compareUnsigned(a, from) < 0 || Long.compareUnsigned(a, to) >= 0) {
                        last = a;
                        continue;
                    }
                    last = a;
                    next = new Entry(a, line);
                }
                return next != null;
            }

            @Override
            public Entry next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Entry e = next;
                next = null;
                return e;
            }
        };
    }

    /** A look-ahead buffer over an entry stream, with random access. */
    private static final class Window {
        private final Iterator<Entry> source;
        private Entry[] buffer = new Entry[1024];
        private int head;
        private int tail;

        Window(Iterator<Entry> source) {
            this.source = source;
        }

        boolean has(int i) {
            while (tail - head <= i && source.hasNext()) {
                if (tail == buffer.length) {
                    int live = tail - head;
                    Entry[] grown = live * 2 > buffer.length ? new Entry[buffer.length * 2] : buffer;
                    System.arraycopy(buffer, head, grown, 0, live);
                    java.util.Arrays.fill(buffer, live, buffer.length, null);
                    buffer = grown;
                    head = 0;
                    tail = live;
                }
                buffer[tail++] = source.next();
            }
            return tail - head > i;
        }

        Entry get(int i) {
            if (!has(i)) {
                throw new NoSuchElementException();
            }
            return buffer[head + i];
        }

        void drop(int n) {
            for (int k = 0; k < n && has(0); k++) {
                buffer[head++] = null;
            }
        }

        List<Long> addresses(int n) {
            List<Long> out = new ArrayList<>();
            for (int k = 0; k < n && has(k); k++) {
                out.add(get(k).address());
            }
            return out;
        }
    }
}
