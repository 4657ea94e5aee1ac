package dev.jvisor.conformance.differential;

/** RFLAGS bits (Intel SDM Vol. 1 §3.4.3, Figure 3-8) and helpers to name them in reports. */
public final class Flags {
    public static final long CF = 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
            DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
            VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
    /** The six arithmetic status flags. */
    public static final long STATUS = CF | PF | AF | ZF | SF | OF;
    /** Status flags except CF (what INC and DEC write). */
    public static final long STATUS_BUT_CF = STATUS & ~CF;
    public static final long NONE = 0;

    private static final String[] NAMES = {"CF", "1", "PF", "3", "AF", "5", "ZF", "SF", "TF", "IF", "DF", "OF",
        "IOPL0", "IOPL1", "NT", "15", "RF", "VM", "AC", "VIF", "VIP", "ID"};

    private Flags() {
    }

    /** The names of the bits set in {@code bits}, e.g. "CF|ZF". */
    public static String names(long bits) {
        if (bits == 0) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            if ((bits >>> i & 1) != 0) {
                if (!sb.isEmpty()) {
                    sb.append('|');
                }
                sb.append(i < NAMES.length ? NAMES[i] : "bit" + i);
            }
        }
        return sb.toString();
    }

    /** Even parity of the low byte, as PF reports it. */
    public static boolean parityEven(long value) {
        return Integer.bitCount((int) (value & 0xff)) % 2 == 0;
    }
}
