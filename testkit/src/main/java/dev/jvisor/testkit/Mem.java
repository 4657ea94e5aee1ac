package dev.jvisor.testkit;

import java.util.Objects;

/**
 * A memory operand: {@code [base + index*scale + disp]}, an absolute address, or
 * {@code [rip + label]} in 64-bit mode, with an optional access size (needed when no register
 * operand gives it, e.g. {@code mov dword ptr [rbx], 5}) and segment override.
 *
 * <p>16-bit addressing uses the 8086 forms (SDM Vol. 2A Table 2-1): {@code [BX|BP] + [SI|DI] + disp}.
 * 32- and 64-bit addressing allow any base, any index but (E/R)SP, and scale 1, 2, 4 or 8
 * (SDM Vol. 2A Tables 2-2 and 2-3). Instances are immutable.
 */
public final class Mem implements Operand {
    private final Reg base;
    private final Reg index;
    private final int scale;
    private final long disp;
    private final Label ripTarget;
    private final int bits;
    private final SegReg segment;

    private Mem(Reg base, Reg index, int scale, long disp, Label ripTarget, int bits, SegReg segment) {
        if (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
            throw new IllegalArgumentException("scale must be 1, 2, 4 or 8: " + scale);
        }
        if (base != null && base.bits() == 8 || index != null && index.bits() == 8) {
            throw new IllegalArgumentException("8-bit registers cannot address memory");
        }
        if (index != null && (index.code() == 4) && index.bits() != 16) {
            throw new IllegalArgumentException(index + " cannot be an index register");
        }
        if (base != null && index != null && base.bits() != index.bits()) {
            throw new IllegalArgumentException("base " + base + " and index " + index + " differ in width");
        }
        this.base = base;
        this.index = index;
        this.scale = scale;
        this.disp = disp;
        this.ripTarget = ripTarget;
        this.bits = bits;
        this.segment = segment;
    }

    /** {@code [base]}. */
    public static Mem at(Reg base) {
        return new Mem(Objects.requireNonNull(base), null, 1, 0, null, 0, null);
    }

    /** {@code [base + disp]}. */
    public static Mem at(Reg base, long disp) {
        return new Mem(Objects.requireNonNull(base), null, 1, disp, null, 0, null);
    }

    /** {@code [base + index]} (16-bit forms such as {@code [BX+SI]} use this). */
    public static Mem at(Reg base, Reg index) {
        return new Mem(Objects.requireNonNull(base), Objects.requireNonNull(index), 1, 0, null, 0, null);
    }

    /** {@code [base + index*scale + disp]}; {@code base} may be null for {@code [index*scale + disp]}. */
    public static Mem at(Reg base, Reg index, int scale, long disp) {
        return new Mem(base, Objects.requireNonNull(index), scale, disp, null, 0, null);
    }

    /** An absolute address {@code [disp]} (in 64-bit mode: a sign-extended 32-bit address). */
    public static Mem abs(long address) {
        return new Mem(null, null, 1, address, null, 0, null);
    }

    /** {@code [rip + target]}: RIP-relative, 64-bit mode only. */
    public static Mem rip(Label target) {
        return new Mem(null, null, 1, 0, Objects.requireNonNull(target), 0, null);
    }

    /** {@code [rip + target + disp]}: RIP-relative with an extra displacement. */
    public static Mem rip(Label target, long disp) {
        return new Mem(null, null, 1, disp, Objects.requireNonNull(target), 0, null);
    }

    /** This operand as a byte access ({@code byte ptr}). */
    public Mem bytePtr() {
        return withBits(8);
    }

    /** This operand as a 16-bit access ({@code word ptr}). */
    public Mem wordPtr() {
        return withBits(16);
    }

    /** This operand as a 32-bit access ({@code dword ptr}). */
    public Mem dwordPtr() {
        return withBits(32);
    }

    /** This operand as a 64-bit access ({@code qword ptr}). */
    public Mem qwordPtr() {
        return withBits(64);
    }

    /** This operand with a segment-override prefix. */
    public Mem seg(SegReg override) {
        return new Mem(base, index, scale, disp, ripTarget, bits, Objects.requireNonNull(override));
    }

    private Mem withBits(int newBits) {
        return new Mem(base, index, scale, disp, ripTarget, newBits, segment);
    }

    public Reg base() {
        return base;
    }

    public Reg index() {
        return index;
    }

    public int scale() {
        return scale;
    }

    public long disp() {
        return disp;
    }

    /** The RIP-relative target, or null. */
    public Label ripTarget() {
        return ripTarget;
    }

    /** Access size in bits, or 0 when unspecified. */
    public int bits() {
        return bits;
    }

    /** Segment override, or null. */
    public SegReg segment() {
        return segment;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (bits != 0) {
            sb.append(switch (bits) {
                case 8 -> "byte";
                case 16 -> "word";
                case 32 -> "dword";
                default -> "qword";
            }).append(" ptr ");
        }
        if (segment != null) {
            sb.append(segment.name().toLowerCase()).append(':');
        }
        sb.append('[');
        if (ripTarget != null) {
            sb.append("rip+").append(ripTarget.name());
        } else {
            if (base != null) {
                sb.append(base.name().toLowerCase());
            }
            if (index != null) {
                sb.append(base != null ? "+" : "").append(index.name().toLowerCase()).append('*').append(scale);
            }
        }
        if (disp != 0 || base == null && index == null && ripTarget == null) {
            sb.append(base != null || index != null || ripTarget != null ? "+" : "").append(String.format("0x%x", disp));
        }
        return sb.append(']').toString();
    }
}
