package dev.jvisor.emu.cpu;

/** A read-only view of a CPU's state for tracers and debuggers (no copies, no allocation). */
public interface CpuView {
    int index();

    /** General-purpose register {@code n} in encoding order (0 RAX .. 15 R15). */
    long register(int n);

    long rip();

    long rflags();

    int cpl();

    /** 16, 32 or 64. */
    int codeSize();

    long cr3();

    /** Guest instructions executed so far. */
    long instructions();

    /**
     * Reads {@code length} bytes of guest memory at a linear address with supervisor rights and no
     * side effects; null where it is not mapped.
     */
    byte[] readLinear(long linear, int length);
}
