package dev.jvisor.conformance.differential;

import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Emulator bugs that are reported and pinned down in {@link EmulatorBugsTest}, where they fail
 * until fixed. The random runs set their mismatches aside (and count them) so that they keep
 * catching new bugs meanwhile. Each predicate matches only cases containing the shape of its bug
 * (in a sequence, whatever follows may then differ too); remove an entry once its pinned test
 * passes.
 */
enum KnownEmulatorBug {
    ZERO_COUNT_SHIFT_KEEPS_UPPER_HALF(
            "a 32-bit shift/rotate/SHLD/SHRD whose masked count is 0 does not zero bits 63:32 of its register",
            m -> m.testCase().instructions().stream().anyMatch(KnownEmulatorBug::zeroCountShift32)),
    LOCK_PREFIX_NOT_CHECKED(
            "LOCK on a register destination or a non-lockable instruction executes instead of raising #UD",
            m -> m.differences().getFirst().equals("exception: kvm #UD, emu none") && m.testCase().text().contains("lock ")),
    STACK_ACCESS_FAULTS_WITH_GP(
            "a non-canonical access with base RBP/RSP raises #GP(0) instead of #SS(0)",
            m -> m.differences().getFirst().equals("exception: kvm #SS, emu #GP")),
    READ_MODIFY_WRITE_FAULT_REPORTED_AS_READ(
            "a #PF on the read of a read-modify-write instruction reports a read (error code without W)",
            m -> m.differences().size() == 1 && m.differences().getFirst().equals("error code: kvm 0x6, emu 0x4")),
    ZERO_SUM_SIGN_WHEN_ROUNDING_DOWN(
            "ADD/SUB of two zeros that sum to +0 give -0 when MXCSR rounds toward negative infinity",
            m -> m.differences().stream().allMatch(d -> d.startsWith("xmm"))
                    && m.testCase().instructions().stream().anyMatch(KnownEmulatorBug::addOrSubRoundingDown));

    /** Held apart: enum constants may not refer to the enum's own static fields. */
    private static final class Patterns {
        /** "shr ebx, 0", "shld esi, edi, 32", "rol ecx, cl   ; cl=32", "shl r8d, 1 (C0/C1 form)". */
        static final Pattern SHIFT32 = Pattern.compile("^(rol|ror|rcl|rcr|shl|shr|sar|shld|shrd) (e(ax|bx|cx|dx|si|di|sp|bp)|r\\d+d),"
                + "(?:.*cl=(\\d+)$|(?: [a-z0-9]+,)? (\\d+)(?: \\(C0/C1 form\\))?$)");
        static final Pattern ADD_SUB_SSE = Pattern.compile("^(add|sub)(ps|pd|ss|sd) .*mxcsr=([0-9a-f]{4})$");
    }

    private final String description;
    private final Predicate<Differ.Mismatch> explains;

    KnownEmulatorBug(String description, Predicate<Differ.Mismatch> explains) {
        this.description = description;
        this.explains = explains;
    }

    public String description() {
        return description;
    }

    /** The known bug that accounts for {@code m}, or null. */
    static KnownEmulatorBug explaining(Differ.Mismatch m) {
        for (KnownEmulatorBug bug : values()) {
            if (bug.explains.test(m)) {
                return bug;
            }
        }
        return null;
    }

    private static boolean addOrSubRoundingDown(String instruction) {
        Matcher x = Patterns.ADD_SUB_SSE.matcher(instruction);
        return x.find() && (Integer.parseInt(x.group(3), 16) >> 13 & 3) == 1;
    }

    private static boolean zeroCountShift32(String instruction) {
        Matcher x = Patterns.SHIFT32.matcher(instruction);
        if (!x.find()) {
            return false;
        }
        String count = x.group(4) != null ? x.group(4) : x.group(5);
        return (Integer.parseInt(count) & 0x1f) == 0;
    }
}
