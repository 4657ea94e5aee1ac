package dev.jvisor.emu.disasm;

import dev.jvisor.emu.disasm.InstructionDecoder.BadOperand;
import dev.jvisor.emu.disasm.Operand.Kind;
import dev.jvisor.emu.disasm.Operand.Size;

/**
 * Reads and prints the operands of one instruction in AT&T syntax: registers with {@code %},
 * immediates with {@code $} (unsigned, at the operand's width), memory as
 * {@code seg:disp(base,index,scale)} (SDM Vol. 2 §2.1.5 for the ModRM/SIB forms), branch targets as
 * absolute addresses, and RIP-relative targets in a trailing comment.
 */
final class OperandFormatter {
    private final InstructionDecoder d;
    private String memory;
    /** Displacement of a RIP-relative operand; the target needs the full instruction length. */
    private boolean ripRelative;
    private long ripDisplacement;
    /** Last immediate byte read (CMP predicates, PCLMUL selectors). */
    long lastImmediate;
    /** Whether {@link #lastImmediate} should not be printed (folded into the mnemonic). */
    boolean hideImmediate;
    private int immediateIndex = -1;

    OperandFormatter(InstructionDecoder d) {
        this.d = d;
    }

    /** Parses SIB and displacement of a memory ModRM (mod != 3) and prepares its text. */
    void parseMemory() {
        memory = d.adsize == 16 ? memory16() : memory3264();
    }

    /** The memory operand text, parsing it if needed (x87 forms). */
    String memory() {
        if (memory == null) {
            parseMemory();
        }
        return memory;
    }

    private String segmentPrefix() {
        return d.prefixes.segmentText(-1);
    }

    private String memory16() {
        int mod = d.mod;
        int rm = d.rm;
        String seg = segmentPrefix();
        d.prefixes.adsizeUsed = true;
        if (mod == 0 && rm == 6) {
            return seg + signedHex(d.readSigned(2));
        }
        long disp = mod == 1 ? d.readSigned(1) : mod == 2 ? d.readSigned(2) : 0;
        String dispText = mod == 0 ? "" : signedHex(disp);
        return seg + dispText + "(" + Registers.ADDRESS16[rm] + ")";
    }

    private String memory3264() {
        Prefixes px = d.prefixes;
        int mod = d.mod;
        int rm = d.rm;
        int size = d.adsize;
        String seg = segmentPrefix();
        int base = -1;
        int index = -1;
        int scale = 0;
        boolean sib = rm == 4;
        boolean riz = false;
        if (sib) {
            int s = d.next();
            scale = s >> 6;
            int idx = ((s >> 3) & 7) | (px.rex(Prefixes.REX_X) ? 8 : 0);
            int b = (s & 7) | (px.rex(Prefixes.REX_B) ? 8 : 0);
            base = (b & 7) == 5 && mod == 0 ? -1 : b;
            if (idx != 4) {
                index = idx;
            } else {
                // objdump shows an index-less SIB as %riz/%eiz unless it is the plain (%rsp)/(%r12)
                // base form or, with 64-bit addressing, the absolute disp32 form.
                riz = scale != 0 || (base >= 0 && (base & 7) != 4) || (base < 0 && size != 64);
            }
        } else if (rm == 5 && mod == 0) {
            px.rex(Prefixes.REX_B); // objdump counts REX.B as used by any memory ModRM
            if (d.mode == 64) {
                ripRelative = true;
                ripDisplacement = d.readSigned(4);
                px.adsizeUsed = true;
                return seg + signedHex(ripDisplacement) + (size == 64 ? "(%rip)" : "(%eip)");
            }
        } else {
            base = rm | (px.rex(Prefixes.REX_B) ? 8 : 0);
        }
        long disp = 0;
        boolean hasDisp = false;
        if (mod == 1) {
            disp = d.readSigned(1);
            hasDisp = true;
        } else if (mod == 2 || (mod == 0 && base < 0)) {
            disp = d.readSigned(4);
            hasDisp = true;
        }
        if (base < 0 && index < 0 && !riz) {
            long absolute = size == 64 ? disp : disp & 0xffff_ffffL;
            return seg + hex(absolute);
        }
        px.adsizeUsed = true; // a base or index register shows the address size
        StringBuilder sb = new StringBuilder(seg);
        if (hasDisp) {
            sb.append(signedHex(disp));
        }
        sb.append('(');
        if (base >= 0) {
            sb.append(Registers.gpr(size, base, true));
        }
        if (index >= 0 || riz) {
            sb.append(',').append(index >= 0 ? Registers.gpr(size, index, true) : size == 64 ? "%riz" : "%eiz")
                    .append(',').append(1 << scale);
        }
        return sb.append(')').toString();
    }

    /** Appends the RIP-relative target comment, once the instruction length is known. */
    void appendComment(StringBuilder sb) {
        if (!ripRelative) {
            return;
        }
        long target = d.address + (d.pos - d.start) + ripDisplacement;
        sb.append("        # ").append(hex(target));
        appendName(sb, target);
    }

    private void appendName(StringBuilder sb, long target) {
        if (d.namer != null) {
            String name = d.namer.nameOf(target);
            if (name != null) {
                sb.append(" <").append(name).append('>');
            }
        }
    }

    /** Bits of a general-purpose operand of the given size code. */
    int bits(Size size) {
        return switch (size) {
            case b -> 8;
            case w -> 16;
            case d -> 32;
            case q -> 64;
            case v -> d.opsize();
            case y -> d.mode == 64 && d.rexW() ? 64 : 32;
            case z -> d.opsizeIgnoringW() == 16 ? 16 : 32;
            case a -> d.adsize;
            case s -> d.mode == 64 ? 64 : 32;
            default -> d.opsize();
        };
    }

    private String gpr(Size size, int number) {
        int bits = bits(size);
        if (bits == 8 && number >= 4 && number < 8) {
            d.prefixes.rexPresenceUsed(); // REX turns AH..BH into SPL..DIL (SDM Vol. 2 §2.2.1.2)
        }
        return Registers.gpr(bits, number, d.prefixes.rex != 0);
    }

    private int vectorBits(Size size) {
        return switch (size) {
            case x -> d.vex && d.vexL ? 256 : 128;
            case t -> 256;
            default -> 128;
        };
    }

    private int rmRegister() {
        return d.rm | (d.prefixes.rex(Prefixes.REX_B) ? 8 : 0);
    }

    private int regRegister() {
        return d.reg | (d.prefixes.rex(Prefixes.REX_R) ? 8 : 0);
    }

    /** Formats one operand, reading any immediate bytes it has; null when it prints nothing. */
    String format(Operand o) {
        String text = switch (o.kind()) {
            case E -> d.mod == 3 ? gpr(o.size(), rmRegister()) : memory;
            case M -> {
                if (d.mod == 3) {
                    throw new BadOperand();
                }
                yield memory;
            }
            case R -> gpr(o.size(), rmRegister());
            case G -> gpr(o.size(), regRegister());
            case B -> d.vex ? Registers.gpr(bits(o.size()), d.vexRegister, true) : null;
            case S -> Registers.segment(d.reg);
            case T -> Registers.test(d.reg);
            case BND -> "%bnd" + d.reg;
            case BNDM -> d.mod == 3 ? "%bnd" + d.rm : memory;
            case C -> Registers.control(regRegister() | (d.prefixes.lock && d.mode != 64 ? lockCr8() : 0));
            case D -> Registers.debug(regRegister());
            case I, I2 -> immediate(o);
            case IS -> {
                long v = d.readSigned(1);
                yield "$" + hex(mask(v, d.opsize()));
            }
            case J -> jump(o);
            case O -> offset();
            case A -> farPointer();
            case Z -> gpr(o.size(), d.opcodeLow | (d.prefixes.rex(Prefixes.REX_B) ? 8 : 0));
            case FIXED -> Registers.gpr(bits(o.size()), o.number(), false);
            case SEG -> Registers.segment(o.number());
            case PORT_DX -> "(%dx)";
            case X -> stringSource("%rsi", "%esi", "%si");
            case Y -> "%es:(" + addressRegister("%rdi", "%edi", "%di") + ")";
            case XLAT -> stringSource("%rbx", "%ebx", "%bx");
            case ST0 -> "%st";
            case STI -> Registers.st(d.rm);
            case V -> Registers.vector(vectorBits(o.size()), regRegister());
            case W -> d.mod == 3 ? Registers.vector(vectorBits(o.size()), rmRegister()) : memory;
            case U -> {
                if (d.mod != 3) {
                    throw new BadOperand();
                }
                yield Registers.vector(vectorBits(o.size()), rmRegister());
            }
            case H -> d.vex ? Registers.vector(vectorBits(o.size()), d.vexRegister) : null;
            case L -> Registers.vector(vectorBits(o.size()), (d.next() >> 4) & (d.mode == 64 ? 15 : 7));
            case P -> Registers.mmx(d.reg);
            case Q -> d.mod == 3 ? Registers.mmx(d.rm) : memory;
            case N -> {
                if (d.mod != 3) {
                    throw new BadOperand();
                }
                yield Registers.mmx(d.rm);
            }
            case XMM0 -> "%xmm0";
        };
        if (text != null && o.indirect()) {
            return "*" + text;
        }
        return text;
    }

    /** AMD's alternative encoding of CR8: LOCK MOV CR0 (AMD APM Vol. 3 "MOV CRn"). */
    private int lockCr8() {
        d.prefixes.lockUsed = true;
        return 8;
    }

    private String addressRegister(String r64, String r32, String r16) {
        d.prefixes.adsizeUsed = true;
        return switch (d.adsize) {
            case 64 -> r64;
            case 32 -> r32;
            default -> r16;
        };
    }

    private String stringSource(String r64, String r32, String r16) {
        return d.prefixes.segmentText(3) + "(" + addressRegister(r64, r32, r16) + ")";
    }

    private String immediate(Operand o) {
        int readBits = switch (o.size()) {
            case b -> 8;
            case w -> 16;
            case d -> 32;
            case z -> d.opsizeIgnoringW() == 16 ? 16 : 32;
            case v -> d.opsize();
            default -> bits(o.size());
        };
        long v = d.readSigned(readBits / 8);
        int shownBits = o.size() == Size.z ? d.opsize() : readBits;
        lastImmediate = v & 0xff;
        immediateIndex++;
        if (hideImmediate) {
            return null;
        }
        return "$" + hex(mask(v, shownBits));
    }

    private String jump(Operand o) {
        boolean near = o.size() != Size.b;
        int size = near ? d.opsizeIgnoringW() : d.opsizeQuiet();
        long disp = d.readSigned(!near ? 1 : size == 16 ? 2 : 4);
        long next = d.address + (d.pos - d.start);
        long target = next + disp;
        if (near && size == 16) {
            // A 16-bit branch truncates the target to 16 bits (SDM Vol. 2 "JMP": EIP AND 0000FFFFH);
            // in 16-bit code objdump keeps the 64 KiB "segment" of the listing address.
            target = (target & 0xffff) | (d.mode == 16 && !d.prefixes.opsize ? next & ~0xffffL : 0);
        } else if (d.mode != 64) {
            target &= 0xffff_ffffL;
        }
        StringBuilder sb = new StringBuilder(hex(target));
        appendName(sb, target);
        return sb.toString();
    }

    private String offset() {
        String seg = segmentPrefix();
        long v = d.readSigned(d.adsize / 8);
        return seg + hex(mask(v, d.adsize));
    }

    private String farPointer() {
        int size = d.opsize() == 16 ? 16 : 32;
        long offset = d.readSigned(size / 8);
        long selector = d.readSigned(2);
        return "$" + hex(selector & 0xffff) + ",$" + hex(mask(offset, size));
    }

    static long mask(long v, int bits) {
        return bits >= 64 ? v : v & ((1L << bits) - 1);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String signedHex(long v) {
        return v < 0 ? "-0x" + Long.toHexString(-v) : "0x" + Long.toHexString(v);
    }
}
