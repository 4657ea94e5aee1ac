package dev.jvisor.emu.disasm;

import java.util.Arrays;

/**
 * A node of the opcode tables: either an instruction form ({@link Op}), an invalid encoding
 * ({@link Bad}), or a choice made on more bits of the encoding (ModRM.reg, ModRM.mod, ModRM.rm, the
 * mandatory prefix, the CPU mode, REX.W/VEX.W, VEX.L), as the SDM Vol. 2 opcode maps and their
 * "opcode extension" tables (A.4) structure them.
 */
sealed interface Entry {

    /** Flags of {@link Op}. */
    int D64 = 1; // operand size defaults to 64 bits in 64-bit mode (SDM Table A-1 "d64")
    int F64 = 1 << 1; // operand size forced to 64 bits in 64-bit mode ("f64")
    int I64 = 1 << 2; // invalid in 64-bit mode ("i64")
    int O64 = 1 << 3; // valid only in 64-bit mode ("o64")
    int REP = 1 << 4; // F3 is REP (MOVS, STOS, LODS, INS, OUTS)
    int REPZ = 1 << 5; // F3/F2 are REPE/REPNE (CMPS, SCAS)
    int BND = 1 << 6; // F2 is the MPX BND prefix (branches)
    int NOTRACK = 1 << 7; // 3E is the CET NOTRACK prefix (indirect CALL/JMP)
    int HINT = 1 << 8; // 2E/3E are branch hints (Jcc)
    int INTEL_ORDER = 1 << 9; // operands printed in Intel order (ENTER)
    int LOCKABLE = 1 << 12; // takes LOCK, and with it the HLE prefixes XACQUIRE/XRELEASE (F2/F3)
    int HLE_ALWAYS = 1 << 13; // XCHG: F2/F3 are XACQUIRE/XRELEASE even without LOCK
    int HLE_RELEASE = 1 << 14; // MOV to memory: F3 is XRELEASE (SDM Vol. 1 §16.3.3)
    int VEX_W0 = 1 << 16; // the VEX form requires VEX.W0
    int VEX_W1 = 1 << 17; // the VEX form requires VEX.W1
    int KEEP_PREFIX = 1 << 15; // reached through a 66/F2/F3 column, yet the prefix keeps its usual meaning
    int W_USES_66 = 1 << 18; // with REX.W, objdump still counts a 66 prefix as used (MOVSXD, 0F 18 hints)

    /** An encoding that is not an instruction: objdump prints {@code (bad)}. */
    record Bad() implements Entry {
    }

    Bad BAD = new Bad();

    /** An instruction form: mnemonic template and operands in Intel (SDM) order. */
    record Op(String mnemonic, Operand[] operands, int flags) implements Entry {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        @Override
        public String toString() {
            return mnemonic + " " + Arrays.toString(operands);
        }
    }

    /** Chosen by ModRM.reg (an opcode extension group). */
    record ByReg(Entry[] byReg) implements Entry {
    }

    /** Chosen by ModRM.mod: memory (mod != 3) or register (mod == 3). */
    record ByMod(Entry memory, Entry register) implements Entry {
    }

    /** Chosen by ModRM.rm (register forms of a group, e.g. 0F 01 C8..CF). */
    record ByRm(Entry[] byRm) implements Entry {
    }

    /** Chosen by the mandatory prefix: none, 66, F3, F2 (SDM Vol. 2 §2.1.2, A.3). */
    record ByPrefix(Entry none, Entry p66, Entry pF3, Entry pF2) implements Entry {
    }

    /** Chosen by the CPU mode: outside 64-bit mode, in 64-bit mode. */
    record ByMode(Entry legacy, Entry long64) implements Entry {
    }

    /** Chosen by REX.W (or VEX.W). */
    record ByW(Entry w0, Entry w1) implements Entry {
    }

    /** Chosen by VEX.L. */
    record ByL(Entry l0, Entry l1) implements Entry {
    }

    /** Whether choosing among the entry's forms, or decoding its operands, needs a ModRM byte. */
    static boolean needsModrm(Entry e) {
        return switch (e) {
            case Bad b -> false;
            case Op op -> Arrays.stream(op.operands()).anyMatch(Operand::usesModrm);
            case ByReg r -> true;
            case ByMod m -> true;
            case ByRm r -> true;
            case ByPrefix p -> needsModrm(p.none()) || needsModrm(p.p66()) || needsModrm(p.pF3())
                    || needsModrm(p.pF2());
            case ByMode m -> needsModrm(m.legacy()) || needsModrm(m.long64());
            case ByW w -> needsModrm(w.w0()) || needsModrm(w.w1());
            case ByL l -> needsModrm(l.l0()) || needsModrm(l.l1());
        };
    }
}
