package dev.jvisor.emu.disasm;

import java.util.List;

/**
 * The documented places where the disassembler knowingly differs from objdump 2.40; everything else
 * must match. All are encodings that real x86-64 kernel and user code does not contain:
 * <ul>
 * <li>EVEX (AVX-512, opcode 62 in 64-bit mode or 62 with ModRM.mod=11 elsewhere), AVX-512 opmask
 * instructions in VEX space ({@code %k} registers) and AMD XOP (8F with map select >= 8): not decoded;
 * <li>VEX extensions newer than AVX2/FMA/BMI: AVX-VNNI, AVX-IFMA, AVX-NE-CONVERT, CMPccXADD (VEX map 2
 * 50..53, 72, B0..B5, E0..EF), AVX2 gathers (map 2 90..93), AMX (map 2 49, 4B, 5C, 5E), AMD FMA4 and
 * VPERMIL2 (map 3 48, 49, 5C..5F, 68..6F, 78..7F): printed as {@code (bad)};
 * <li>recent or vendor-specific non-VEX extensions: 3DNow! (0F 0F), VIA PadLock (0F A6, 0F A7), AMD
 * SSE4a EXTRQ/INSERTQ (66/F2 0F 78, 79), Key Locker (F3 0F 38 D8..DF, FA, FB), RAO-INT (0F 38 FC),
 * ENQCMD (F2/F3 0F 38 F8), PREFETCHIT0/1 (0F 18 /6, /7 RIP-relative);
 * <li>invalid encodings objdump prints partly, with one operand shown as {@code (bad)} (e.g.
 * {@code maskmovq (bad),%mm7}, {@code prefetch (bad)}): we print {@code (bad)} for the whole instruction;
 * <li>which unused prefixes objdump names in front of a {@code (bad)} encoding when both sides reject
 * the same bytes, and an FWAIT right after a REX prefix (objdump repeats the REX name);
 * <li>MPX BNDLDX/BNDSTX with an address-size prefix: objdump ignores the prefix;
 * <li>MPX BNDLDX/BNDSTX with an address-size prefix: objdump ignores the prefix;
 * <li>VEX.L=1 scalar register moves (VMOVSS/VMOVSD): objdump names a YMM destination.
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
        int third = i + 2 < hex.length ? Integer.parseInt(hex[i + 2], 16) : -1;
        if (opcode == 0x62 && (size == CodeSize.BITS_64 || (next & 0xc0) == 0xc0)) {
            return true; // EVEX
        }
        if (opcode == 0x8f && next >= 0 && (next & 0x1f) >= 8) {
            return true; // XOP
        }
        if (m.objdump().contains("%k")) {
            return true; // AVX-512 opmask
        }
        if (opcode == 0xc4 && i + 3 < hex.length && (size == CodeSize.BITS_64 || (next & 0xc0) == 0xc0)) {
            int map = next & 0x1f;
            int op = Integer.parseInt(hex[i + 3], 16);
            if (map == 2 && ((op >= 0x50 && op <= 0x53) || op == 0x72 || (op >= 0xb0 && op <= 0xb5)
                    || (op >= 0xe0 && op <= 0xef) || (op >= 0x90 && op <= 0x93) || op == 0x49 || op == 0x4b
                    || op == 0x5c || op == 0x5e)) {
                return true;
            }
            if (map == 3 && (op == 0x48 || op == 0x49 || (op >= 0x5c && op <= 0x5f) || (op >= 0x68 && op <= 0x6f)
                    || (op >= 0x78 && op <= 0x7f))) {
                return true;
            }
        }
        if (opcode == 0x0f && (next == 0x0f || next == 0xa6 || next == 0xa7 || next == 0x78 || next == 0x79)) {
            return true; // 3DNow!, PadLock, SSE4a (and VMREAD/VMWRITE's prefixed neighbours)
        }
        if (opcode == 0x0f && next == 0x38 && (third == 0xfc || third == 0xf8 || third == 0xfa || third == 0xfb
                || (third >= 0xd8 && third <= 0xdf && m.ours().contains("(bad)")))) {
            return true; // RAO-INT, ENQCMD, Key Locker
        }
        if (m.objdump().contains("prefetchit")) {
            return true;
        }
        if (m.objdump().startsWith("addr32 bnd")) {
            return true; // MPX with 67
        }
        if (m.objdump().startsWith("addr32 bnd")) {
            return true; // MPX with 67
        }
        if (m.bytes().startsWith("9b") && m.objdump().startsWith("rex")) {
            return true; // FWAIT after REX
        }
        if (m.objdump().matches("vmovs[sd] %xmm\\d+,%xmm\\d+,%ymm\\d+")) {
            return true; // VEX.L=1 scalar move
        }
        if (m.objdump().endsWith("(bad)") && m.ours().endsWith("(bad)") && m.objdumpLength() == m.ourLength()) {
            return true; // same bytes rejected, prefixes named differently
        }
        return partialBad(m.objdump());
    }

    /** objdump text that is not just prefix names and "(bad)" yet contains "(bad)". */
    private static boolean partialBad(String text) {
        if (!text.contains("(bad)")) {
            return false;
        }
        for (String word : text.split(" ")) {
            if (!word.equals("(bad)") && !PREFIX_NAMES.contains(word)) {
                return true;
            }
        }
        return false;
    }

    private static final java.util.Set<String> PREFIX_NAMES = java.util.Set.of("lock", "repz", "repnz", "rep",
            "data16", "data32", "addr16", "addr32", "cs", "ds", "es", "ss", "fs", "gs", "rex", "rex.W", "rex.R",
            "rex.X", "rex.B", "rex.WR", "rex.WX", "rex.WB", "rex.RX", "rex.RB", "rex.XB", "rex.WRX", "rex.WRB",
            "rex.WXB", "rex.RXB", "rex.WRXB", "bnd", "notrack");

    private static boolean isPrefix(String hex, CodeSize size) {
        int b = Integer.parseInt(hex, 16);
        return Prefixes.isLegacyPrefix(b) || (size == CodeSize.BITS_64 && b >= 0x40 && b <= 0x4f);
    }
}
