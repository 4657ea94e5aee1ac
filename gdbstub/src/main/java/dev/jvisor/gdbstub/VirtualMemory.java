package dev.jvisor.gdbstub;

import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.memory.GuestMemory;
import java.io.ByteArrayOutputStream;

/**
 * Guest memory as GDB addresses it: virtual (linear) addresses, translated page by page through a
 * stopped vCPU's page tables ({@link Vcpu#translate}). Only RAM is touched; device memory is never
 * read or written for a debugger, as that could have side effects.
 */
final class VirtualMemory {
    private static final long PAGE = 4096;

    private VirtualMemory() {
    }

    /**
     * Reads up to {@code length} bytes at {@code address}; stops early at the first page that is not
     * mapped to RAM.
     */
    static byte[] read(Vcpu vcpu, GuestMemory memory, long address, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        long at = address;
        int left = length;
        while (left > 0) {
            int chunk = (int) Math.min(left, PAGE - (at & (PAGE - 1)));
            long gpa = vcpu.translate(at);
            if (gpa < 0 || !memory.isRam(gpa, chunk)) {
                break;
            }
            out.writeBytes(memory.read(gpa, chunk));
            at += chunk;
            left -= chunk;
        }
        return out.toByteArray();
    }

    /**
     * Writes {@code data} at {@code address}; nothing is written unless every page is RAM.
     *
     * @return whether the write happened
     */
    static boolean write(Vcpu vcpu, GuestMemory memory, long address, byte[] data) {
        long[] gpas = new long[(int) ((data.length + PAGE) / PAGE) + 1];
        int pages = 0;
        long at = address;
        int left = data.length;
        while (left > 0) {
            int chunk = (int) Math.min(left, PAGE - (at & (PAGE - 1)));
            long gpa = vcpu.translate(at);
            if (gpa < 0 || !memory.isRam(gpa, chunk)) {
                return false;
            }
            gpas[pages++] = gpa;
            at += chunk;
            left -= chunk;
        }
        at = address;
        int done = 0;
        for (int p = 0; p < pages; p++) {
            int chunk = (int) Math.min(data.length - done, PAGE - (at & (PAGE - 1)));
            memory.write(gpas[p], data, done, chunk);
            at += chunk;
            done += chunk;
        }
        return true;
    }
}
