package dev.jvisor.hypervisor;

/**
 * What is known when a guest CPU stops for good: shown to the user and kept in the VM's state.
 *
 * @param reason      one line: what happened
 * @param vector      the exception vector involved, or -1
 * @param rip         the guest instruction pointer (linear) at the time
 * @param cr2         the last page-fault address
 * @param detail      several lines of context: registers, decoded instructions around RIP
 */
public record CrashReport(String reason, int vector, long rip, long cr2, String detail) {
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(reason);
        sb.append(String.format(" (vector %d, rip 0x%x, cr2 0x%x)", vector, rip, cr2));
        if (detail != null && !detail.isEmpty()) {
            sb.append('\n').append(detail);
        }
        return sb.toString();
    }
}
