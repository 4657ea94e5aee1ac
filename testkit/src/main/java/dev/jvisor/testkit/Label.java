package dev.jvisor.testkit;

/**
 * A position in an {@link Asm} stream that instructions can refer to before it is bound (forward
 * references are patched when the program is assembled). A label belongs to the assembler that
 * created it.
 */
public final class Label {
    private final Object owner;
    private final String name;
    private int offset = -1;

    Label(Object owner, String name) {
        this.owner = owner;
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Whether {@link Asm#bind} has been called for this label. */
    public boolean isBound() {
        return offset >= 0;
    }

    Object owner() {
        return owner;
    }

    /** Offset from the start of the program; valid once bound. */
    int offset() {
        return offset;
    }

    void bindAt(int position) {
        if (offset >= 0) {
            throw new IllegalStateException("label '" + name + "' is already bound");
        }
        offset = position;
    }

    @Override
    public String toString() {
        return isBound() ? name + "@" + offset : name + "(unbound)";
    }
}
