package dev.jvisor.emu.disasm;

import java.util.List;

/**
 * The documented places where the disassembler knowingly differs from objdump 2.40; everything else
 * must match. All are encodings that real x86-64 kernel and user code does not contain:
 * <ul>
 * <li>EVEX (AVX-512, opcode 62 in 64-bit mode or 62 with ModRM.mod=11 elsewhere) and AMD XOP (8F with
 * map select >= 8): not decoded, printed as {@code (bad)}; objdump decodes them or skips a different
 * number of bytes;
 * <li>3DNow! (0F 0F) and VIA PadLock (0F A6, 0F A7): not decoded;
 * <li>AVX-512 opmask instructions in VEX space (kxorw and friends, {@code %k} registers);
 * <li>invalid encodings objdump prints partly, with one operand shown as {@code (bad)} (e.g.
 * {@code maskmovq (bad),%mm7}): we print {@code (bad)} for the whole instruction;
 * <li>which unused prefixes objdump names in front of a {@code (bad)} VEX encoding: it depends on
 * details of its decoder; both sides print {@code (bad)} over the same bytes.
 * </ul>
 */
final class KnownDifferences {
    private KnownDifferences() {
    }

    static List<ObjdumpOracle.Mismatch> unexplained(List<ObjdumpOracle.Mismatch> all, CodeSize size) {
        return all.stream().filter(m -> !explained(m, size)).toList();
    }

    static boolean explained(ObjdumpOracle.Mismatch m, CodeSize size) {
        String[] hex = m.bytes().split(" ");
        int i = 0;
        while (i < hex.length && isPrefix(hex[i], size)) {
            i++;
        }
        if (i >= hex.length) {
            return false;
        }
        int opcode = Integer.parseInt(hex[i], 16);
        int next = i + 1 < hex.length ? Integer.parseInt(hex[i + 1], 16) : -1;
        if (opcode == 0x62 && (size == CodeSize.BITS_64 || (next & 0xc0) == 0xc0)) {
            return true; // EVEX
        }
        if (opcode == 0x8f && next >= 0 && (next & 0x1f) >= 8) {
            return true; // XOP
        }
        if (opcode == 0x0f && (next == 0x0f || next == 0xa6 || next == 0xa7)) {
            return true; // 3DNow!, PadLock
        }
        if (m.objdump().contains("%k")) {
            return true; // AVX-512 opmask
        }
        if (m.objdump().endsWith("(bad)") && m.ours().endsWith("(bad)") && m.objdumpLength() == m.ourLength()) {
            return true; // same bytes rejected, prefixes named differently
        }
        return m.objdump().contains("(bad)") && !m.objdump().endsWith(" (bad)") && !m.objdump().equals("(bad)");
    }

    private static boolean isPrefix(String hex, CodeSize size) {
        int b = Integer.parseInt(hex, 16);
        return Prefixes.isLegacyPrefix(b) || (size == CodeSize.BITS_64 && b >= 0x40 && b <= 0x4f);
    }
}
