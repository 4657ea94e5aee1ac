package dev.jvisor.emu.cpu;

/**
 * A guest-visible architectural exception raised while executing an instruction (#GP, #PF, #UD...).
 *
 * <p>One instance per CPU is preallocated and reused: guest exceptions are frequent (demand paging
 * alone raises thousands of #PF a second), so they must not allocate or fill in a stack trace.
 */
public final class CpuException extends RuntimeException {
    public static final int DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
            TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;

    int vector;
    int errorCode;
    boolean hasErrorCode;

    CpuException() {
        super(null, null, false, false);
    }

    CpuException set(int vector, int errorCode, boolean hasErrorCode) {
        this.vector = vector;
        this.errorCode = errorCode;
        this.hasErrorCode = hasErrorCode;
        return this;
    }

    public int vector() {
        return vector;
    }

    public int errorCode() {
        return errorCode;
    }

    /** Whether the vector pushes an error code (Intel SDM Vol. 3A Table 6-1). */
    static boolean pushesErrorCode(int vector) {
        return vector == DF || vector == TS || vector == NP || vector == SS || vector == GP || vector == PF
                || vector == AC;
    }

    @Override
    public String getMessage() {
        return "guest exception " + vector + (hasErrorCode ? " error " + Integer.toHexString(errorCode) : "");
    }
}
