package dev.jvisor.emu.disasm;

import dev.jvisor.emu.disasm.Entry.Op;
import dev.jvisor.emu.disasm.Operand.Kind;
import dev.jvisor.emu.disasm.Operand.Size;
import java.util.List;

/**
 * Turns a mnemonic template of the opcode tables (see {@link Tables} for the markers) into the AT&T
 * mnemonic for the decoded instruction, and accounts for the prefixes the mnemonic consumes (REP,
 * BND, NOTRACK, branch hints).
 */
final class MnemonicRenderer {
    /** SSE compare predicates (SDM Vol. 2 CMPPS, Table 3-1); VEX has 32. */
    private static final String[] PREDICATES = {"eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord", "eq_uq",
            "nge", "ngt", "false", "neq_oq", "ge", "gt", "true", "eq_os", "lt_oq", "le_oq", "unord_s", "neq_us",
            "nlt_uq", "nle_uq", "ord_s", "eq_us", "nge_uq", "ngt_uq", "false_os", "neq_os", "ge_oq", "gt_oq",
            "true_us"};

    private MnemonicRenderer() {
    }

    /**
     * Renders the mnemonic; {@code ops} are the formatted operands in Intel order, from which a
     * predicate immediate folded into the mnemonic is removed.
     */
    static String render(InstructionDecoder d, List<String> ops) {
        Op op = d.op;
        String t = op.mnemonic();
        if (t.startsWith("~")) {
            t = t.substring(1);
        } else if (d.vex) {
            t = "v" + t;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < t.length()) {
            char c = t.charAt(i);
            if (c != '{') {
                sb.append(c);
                i++;
                continue;
            }
            int close = t.indexOf('}', i);
            sb.append(marker(d, t.substring(i + 1, close), ops));
            i = close + 1;
        }
        prefixUse(d, op, sb);
        return sb.toString();
    }

    private static String marker(InstructionDecoder d, String m, List<String> ops) {
        if (m.startsWith("o:")) {
            return choose(m.substring(2), d.opsize());
        }
        if (m.startsWith("ad:")) {
            d.prefixes.adsizeUsed = true;
            return choose(m.substring(3), d.adsize);
        }
        if (m.startsWith("W:")) {
            String[] two = m.substring(2).split(",", -1);
            return d.rexW() ? two[1] : two[0]; // VEX.W selects the element size in every mode
        }
        if (m.startsWith("w:")) {
            String[] two = m.substring(2).split(",", -1);
            return d.mode == 64 && d.rexW() ? two[1] : two[0]; // W selects 64-bit forms in 64-bit mode only
        }
        return switch (m) {
            case "S" -> memorySuffix(d);
            case "S64" -> d.mode == 64 ? memorySuffix(d) : ""; // ambiguous only where Ey can be 64-bit
            case "D" -> d.opsize() != defaultOperandSize(d) ? suffix(d.opsize()) : "";
            case "DM" -> d.mod != 3 && d.opsize() != defaultOperandSize(d) ? suffix(d.opsize()) : "";
            case "G" -> d.mode == 64 ? "" : suffix(d.opsize()); // SGDT & co. outside 64-bit mode
            case "F" -> farSuffix(d);
            case "A" -> suffix(firstSizedOperand(d));
            case "Q" -> d.mode == 64 ? (d.prefixes.rex(Prefixes.REX_W) ? "q" : "l") : "";
            case "a" -> {
                d.prefixes.adsizeUsed = true;
                yield d.adsize != d.mode ? suffix(d.adsize) : "";
            }
            case "MO" -> d.adsize == 64 ? "movabs" : "mov"; // 64-bit moffs (SDM Vol. 2 "MOV" A0..A3)
            case "MI" -> d.opsizeQuiet() == 64 ? "movabs" : "mov"; // 64-bit immediate (B8+r with REX.W)
            case "X" -> d.vex && d.mod != 3 ? (d.vexL ? "y" : "x") : "";
            case "P" -> predicate(d, ops);
            case "C" -> pclmulSelector(d, ops);
            default -> throw new IllegalStateException("unknown mnemonic marker {" + m + "}");
        };
    }

    private static String choose(String list, int bits) {
        String[] three = list.split(",");
        return three[bits == 16 ? 0 : bits == 32 ? 1 : 2];
    }

    private static int defaultOperandSize(InstructionDecoder d) {
        if (d.mode == 64) {
            return d.op.has(Entry.D64) || d.op.has(Entry.F64) ? 64 : 32;
        }
        return d.mode;
    }

    static String suffix(int bits) {
        return switch (bits) {
            case 8 -> "b";
            case 16 -> "w";
            case 32 -> "l";
            case 64 -> "q";
            default -> "";
        };
    }

    /** Far indirect CALL/JMP: only the operand-size prefix shows (objdump ignores REX.W here). */
    private static String farSuffix(InstructionDecoder d) {
        if (!d.prefixes.opsize) {
            return "";
        }
        d.prefixes.opsizeUsed = true;
        return d.mode == 16 ? "l" : "w";
    }

    /** The suffix when the ModRM operand is memory and so nothing else in the text gives the size. */
    private static String memorySuffix(InstructionDecoder d) {
        if (!d.hasModrm || d.mod == 3) {
            return "";
        }
        for (Operand o : d.op.operands()) {
            if (o.kind() == Kind.E || o.kind() == Kind.M) {
                return o.size() == Size.none || o.size() == Size.p ? "" : suffix(d.operands.bits(o.size()));
            }
        }
        return "";
    }

    private static int firstSizedOperand(InstructionDecoder d) {
        for (Operand o : d.op.operands()) {
            switch (o.kind()) {
                case X, Y, E, M, G -> {
                    return d.operands.bits(o.size());
                }
                default -> {
                }
            }
        }
        return d.opsize();
    }

    /** CMPPS and friends: immediates 0..7 (0..31 with VEX) become part of the name (cmpltps). */
    private static String predicate(InstructionDecoder d, List<String> ops) {
        long imm = d.operands.lastImmediate;
        if (imm < (d.vex ? 32 : 8)) {
            ops.remove(ops.size() - 1);
            return PREDICATES[(int) imm];
        }
        return "";
    }

    /** PCLMULQDQ: the four meaningful selectors have their own names (pclmullqhqdq). */
    private static String pclmulSelector(InstructionDecoder d, List<String> ops) {
        String name = switch ((int) d.operands.lastImmediate) {
            case 0x00 -> "lqlq";
            case 0x01 -> "hqlq";
            case 0x10 -> "lqhq";
            case 0x11 -> "hqhq";
            default -> null;
        };
        if (name == null) {
            return "q";
        }
        ops.remove(ops.size() - 1);
        return name;
    }

    /** REP/REPZ/BND names, NOTRACK and Jcc hints consume their prefixes. */
    private static void prefixUse(InstructionDecoder d, Op op, StringBuilder mnemonic) {
        Prefixes px = d.prefixes;
        px.bndBranch = op.has(Entry.BND);
        if (px.rep != 0 && px.mandatory == 0) {
            if (op.has(Entry.REP)) {
                px.repUsed = true;
                px.repName = px.rep == 0xf3 ? "rep" : "repnz";
            } else if (op.has(Entry.REPZ)) {
                px.repUsed = true;
                px.repName = px.rep == 0xf3 ? "repz" : "repnz";
            } else if (op.has(Entry.BND) && px.rep == 0xf2) {
                px.bndBranch = true;
                px.repUsed = true;
                px.repName = "bnd";
            }
        }
        if (px.rep != 0 && px.mandatory == 0 && d.hasModrm && d.mod != 3 && (op.has(Entry.HLE_ALWAYS)
                || (op.has(Entry.LOCKABLE) && px.lock) || (op.has(Entry.HLE_RELEASE) && px.rep == 0xf3))) {
            px.repUsed = true; // SDM Vol. 1 §16.3.1: F2 is XACQUIRE, F3 is XRELEASE
            px.repName = px.rep == 0xf2 ? "xacquire" : "xrelease";
        }
        if (op.has(Entry.NOTRACK) && px.segment == 3 && !px.segmentUsed) {
            px.notrack = true;
        }
        if (op.has(Entry.HINT) && (px.has(0x2e) != px.has(0x3e))) {
            // Branch hints (SDM Vol. 2 §2.1.1): 2E "not taken", 3E "taken".
            px.useLastSegment();
            mnemonic.append(px.has(0x3e) ? ",pt" : ",pn");
        }
    }
}
