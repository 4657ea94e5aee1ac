package dev.jvisor.conformance.differential;

/**
 * How one case ended on one back end.
 *
 * @param state     registers after the case (at the fault, if it faulted)
 * @param vector    the exception vector raised, or -1
 * @param errorCode the exception's error code (-1 for vectors without one)
 * @param faultRip  RIP the exception frame held
 * @param cr2       CR2 read by the handler (meaningful for #PF)
 * @param slot      the case's data slot afterwards
 */
public record CaseResult(CpuState state, int vector, long errorCode, long faultRip, long cr2, byte[] slot) {
    /** A GPR after the case, by register (any width names the full register). */
    public long gpr(dev.jvisor.testkit.Reg r) {
        return state.gpr(r.isHighByte() ? r.code() - 4 : r.code());
    }

    /** The memory of the data slot at {@code offset}, {@code size} bytes little-endian. */
    public long memory(int offset, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (slot[offset + i] & 0xff);
        }
        return v;
    }
}
