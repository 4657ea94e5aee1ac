package dev.jvisor.emu.disasm;

import dev.jvisor.emu.disasm.Entry.Op;
import dev.jvisor.emu.disasm.Operand.Size;

/**
 * Which table forms exist VEX-encoded, and which VEX field values make a form invalid (Intel SDM
 * Vol. 2 §2.3: VEX.vvvv reserved as 1111b, VEX.L and VEX.W restrictions in each instruction's
 * exception class).
 */
final class VexRules {
    private VexRules() {
    }

    /**
     * Whether a table form has a VEX encoding: the VEX-only forms (mnemonics written with a leading
     * "~"), and SSE forms on XMM registers (not MMX, not the implicit-XMM0 and SHA forms).
     */
    static boolean capable(Op found) {
        String m = found.mnemonic();
        if (m.startsWith("~")) {
            return true;
        }
        if (m.startsWith("sha")) {
            return false;
        }
        boolean vector = false;
        for (Operand o : found.operands()) {
            switch (o.kind()) {
                case P, Q, N, XMM0 -> {
                    return false;
                }
                case V, W, U, H -> vector = true;
                default -> {
                }
            }
        }
        return vector;
    }

    /**
     * VEX.vvvv must be 1111b when the form has no register there, and 128-bit-only forms need VEX.L=0
     * (SDM Vol. 2 §2.3.6, "VEX.L must be 0" / "VEX.vvvv is reserved" in each instruction's exceptions);
     * scalar forms ignore L (LIG).
     */
    static boolean fieldsValid(InstructionDecoder d, Op found) {
        boolean usesVvvv = false;
        boolean wide = false;
        for (Operand o : found.operands()) {
            switch (o.kind()) {
                case H, B -> usesVvvv = true;
                default -> {
                }
            }
            if (o.size() == Size.x || o.size() == Size.t) {
                wide = true;
            }
        }
        if ((!usesVvvv && d.vexVvvv != 0) || (found.has(Entry.VEX_W0) && d.vexW) || (found.has(Entry.VEX_W1) && !d.vexW)) {
            return false;
        }
        if (found.mnemonic().startsWith("~") && !found.mnemonic().startsWith("~v")) {
            return !d.vexL; // BMI1/BMI2 general-register forms are VEX.L0 only
        }
        return !d.vexL || wide || scalar(found.mnemonic());
    }

    private static boolean scalar(String m) {
        String base = m.replace("{S}", "").replace("{P}", "");
        return base.endsWith("ss") || base.endsWith("sd") || base.contains("comis") || base.startsWith("cvt")
                || base.startsWith("~") || base.startsWith("vbroadcast") || base.startsWith("vpbroadcast");
    }

    /** Forms written VEX-only in the tables, with a leading "~" ("~andn", "~vpermq"). */
    static boolean vexOnly(Op found) {
        return found.mnemonic().startsWith("~");
    }
}
