package dev.jvisor.conformance.differential;

import static dev.jvisor.conformance.differential.CaseBuilder.hex;
import static dev.jvisor.conformance.differential.CaseBuilder.t;

import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.Reg;

/**
 * LEA with every addressing form of SDM Vol. 2A §2.1.5 and §2.2.1.6: [base], [base+disp8],
 * [base+disp32], SIB with each scale and with no index, [index*scale+disp32] without a base,
 * [disp32] absolute, RIP-relative, the RBP/R13 and RSP/R12 special cases, 32-bit addresses (0x67)
 * and 16/32/64-bit destinations (the address is truncated to the destination's width).
 */
final class AddressCases {
    private AddressCases() {
    }

    static void lea(CaseBuilder b) {
        int destBits = b.pickInt(16, 32, 64, 64);
        int addrBits = b.oneIn(4) ? 32 : 64;
        Reg d = b.reg(destBits);
        int form = b.random().nextInt(8);
        long disp = switch (b.random().nextInt(3)) {
            case 0 -> 0;
            case 1 -> b.random().nextInt(256) - 128;
            default -> b.random().nextInt();
        };
        if (form == 7) {
            b.form("lea r" + destBits + ", [rip+disp32]");
            long rel = disp;
            b.step("lea " + t(d) + ", [rip+" + hex(rel) + "]", a -> {
                Label next = a.newLabel();
                a.lea(d, Mem.rip(next, rel)).bind(next);
            });
            return;
        }
        Reg base = form == 5 || form == 6 ? null : special(b, addrBits, b.oneIn(3));
        Reg index = form >= 3 && form != 6 ? indexReg(b, addrBits) : null;
        int scale = index == null ? 1 : b.pickInt(1, 2, 4, 8);
        if (base != null) {
            b.randomize(base);
        }
        if (index != null) {
            b.randomize(index);
        }
        Mem m = switch (form) {
            case 0 -> Mem.at(base);
            case 1, 2 -> Mem.at(base, disp);
            case 3, 4 -> Mem.at(base, index, scale, form == 3 ? 0 : disp);
            case 5 -> Mem.at(null, index, scale, disp);
            default -> Mem.abs(addrBits == 32 ? disp & 0xffff_ffffL : disp);
        };
        String shape = switch (form) {
            case 0 -> "[base]";
            case 1, 2 -> "[base+disp]";
            case 3 -> "[base+index*scale]";
            case 4 -> "[base+index*scale+disp]";
            case 5 -> "[index*scale+disp32]";
            default -> "[disp32]";
        };
        b.form("lea r" + destBits + ", " + shape + (addrBits == 32 ? " (addr32)" : ""));
        b.step("lea " + t(d) + ", " + t(m), a -> a.lea(d, m));
    }

    /** A base register, often one of the encodings with special cases (RSP, RBP, R12, R13). */
    private static Reg special(CaseBuilder b, int bits, boolean tricky) {
        if (tricky) {
            return Reg.gpr(b.pickInt(4, 5, 12, 13), bits);
        }
        return b.reg(bits);
    }

    private static Reg indexReg(CaseBuilder b, int bits) {
        while (true) {
            Reg r = b.reg(bits);
            if (r.code() != 4) {
                return r;
            }
        }
    }
}
