package dev.jvisor.conformance.differential;

import java.util.function.Predicate;

/**
 * Emulator bugs that are reported and pinned down in {@link EmulatorBugsTest}, where they fail
 * until fixed. The random runs set their mismatches aside (and count them) so that they keep
 * catching new bugs meanwhile. Each predicate matches only cases containing the shape of its bug
 * (in a sequence, whatever follows may then differ too); remove an entry once its pinned test
 * passes.
 */
enum KnownEmulatorBug {
    // No open emulator bugs. Add an entry here (with its pinned test in EmulatorBugsTest) when the
    // random runs find one that cannot be fixed at once.
    ;

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
}
