package dev.jvisor.emu.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bit-exact agreement with a real processor. For every non-transcendental x87 encoding, {@link #PER_OP}
 * pseudo-random cases (fixed seed: special values, denormals, pseudo-denormals, unnormals, NaN
 * payloads, values near overflow/underflow and near each other, random masks, precision and rounding
 * control, stack faults) run through {@link X87Harness}. The digest of all results (FNSAVE image
 * without FIP/FDP/FOP, memory operand, status flags) must equal the digest of the same byte
 * sequences executed natively on an x86-64 host (captured on an AMD EPYC; Intel processors agree on
 * everything compared here). A mismatch names the encoding; {@link X87HostDifferentialTest} then shows
 * the differing cases on an x86 machine with gcc.
 */
class X87HardwareDigestTest {
    static final long SEED = 0x5eed_87L;
    static final int PER_OP = 100;

    /** Register forms end in "+" (a random ST(i)); memory forms are "xx/r" with the operand at [RSI]. */
    static final String[] OPS = {
        "d8c0+", "d8c8+", "d8d0+", "d8d8+", "d8e0+", "d8e8+", "d8f0+", "d8f8+",
        "dcc0+", "dcc8+", "dcd0+", "dcd8+", "dce0+", "dce8+", "dcf0+", "dcf8+",
        "dec0+", "dec8+", "ded0+", "ded9", "dee0+", "dee8+", "def0+", "def8+",
        "d9c0+", "d9c8+", "d9d0", "d9d8+", "d9e0", "d9e1", "d9e4", "d9e5",
        "d9e8", "d9e9", "d9ea", "d9eb", "d9ec", "d9ed", "d9ee",
        "d9f4", "d9f5", "d9f6", "d9f7", "d9f8", "d9fa", "d9fc", "d9fd",
        "dac0+", "dac8+", "dad0+", "dad8+", "dae9",
        "dbc0+", "dbc8+", "dbd0+", "dbd8+", "dbe2", "dbe8+", "dbf0+",
        "ddc0+", "ddc8+", "ddd0+", "ddd8+", "dde0+", "dde8+",
        "dfc0+", "dfc8+", "dfd0+", "dfd8+", "dfe8+", "dff0+",
        "d8/0", "d8/1", "d8/2", "d8/3", "d8/4", "d8/5", "d8/6", "d8/7",
        "dc/0", "dc/1", "dc/2", "dc/3", "dc/4", "dc/5", "dc/6", "dc/7",
        "da/0", "da/1", "da/2", "da/3", "da/4", "da/5", "da/6", "da/7",
        "de/0", "de/1", "de/2", "de/3", "de/4", "de/5", "de/6", "de/7",
        "d9/0", "d9/2", "d9/3", "d9/4", "d9/5", "d9/6", "d9/7",
        "db/0", "db/2", "db/3", "db/5", "db/7",
        "dd/0", "dd/2", "dd/3", "dd/7",
        "df/0", "df/2", "df/3", "df/4", "df/5", "df/6", "df/7",
    };

    /** Digests of the hardware results, per encoding (first 16 hex digits of SHA-256). */
    static final Map<String, String> HARDWARE = hardware();

    @Test
    void everyEncodingMatchesTheHardwareBitForBit() {
        List<X87Harness.Case> all = new ArrayList<>();
        for (String op : OPS) {
            all.addAll(cases(op));
        }
        List<X87Harness.Result> results = X87Harness.run(all);
        Map<String, String> mismatches = new LinkedHashMap<>();
        for (int k = 0; k < OPS.length; k++) {
            String d = digest(results.subList(k * PER_OP, (k + 1) * PER_OP));
            if (!d.equals(HARDWARE.get(OPS[k]))) {
                mismatches.put(OPS[k], d);
            }
        }
        assertThat(mismatches).as("encodings whose results differ from the hardware").isEmpty();
    }

    // --- The cases -----------------------------------------------------------------------------------

    /** The deterministic cases of one encoding. */
    static List<X87Harness.Case> cases(String op) {
        Random r = new Random(SEED ^ op.hashCode());
        List<X87Harness.Case> out = new ArrayList<>(PER_OP);
        for (int i = 0; i < PER_OP; i++) {
            int nregs = r.nextInt(10) == 0 ? r.nextInt(9) : 2 + r.nextInt(5);
            if (r.nextInt(30) == 0) {
                nregs = 8;
            }
            boolean emptyTop = r.nextInt(40) == 0;
            out.add(new X87Harness.Case(state(r, nregs, emptyTop, r.nextInt(5) == 0), mem(r), code(r, op)));
        }
        return out;
    }

    static byte[] code(Random r, String op) {
        int b0 = Integer.parseInt(op.substring(0, 2), 16);
        if (op.contains("/")) {
            return new byte[]{(byte) b0, (byte) ((op.charAt(3) - '0') << 3 | 6)};
        }
        int b1 = Integer.parseInt(op.substring(2, 4), 16) + (op.endsWith("+") ? r.nextInt(8) : 0);
        return new byte[]{(byte) b0, (byte) b1};
    }

    /** A random 80-bit value {sign/exponent, significand}, biased towards the interesting classes. */
    static long[] value(Random r, int nearExp) {
        int sign = r.nextBoolean() ? 0x8000 : 0;
        long rnd = r.nextLong();
        long m;
        int e;
        switch (r.nextInt(40)) {
            case 0 -> { m = 0; e = 0; }
            case 1 -> { m = 1L << 63; e = 0x7fff; }
            case 2 -> { m = (3L << 62) | (r.nextBoolean() ? 0 : rnd >>> 2); e = 0x7fff; }
            case 3 -> { m = (1L << 63) | (rnd >>> 2) | 1; e = 0x7fff; }
            case 4 -> { m = rnd >>> 1 | 1; e = 0; }
            case 5 -> { m = rnd | (1L << 63); e = 0; }
            case 6 -> { m = rnd >>> 1; e = 1 + r.nextInt(0x7ffe); }
            case 7 -> { m = rnd >>> 1; e = 0x7fff; }
            case 8 -> { m = -1L; e = 0x7ffe; }
            case 9 -> { m = 1L << 63; e = 1; }
            case 10, 11 -> { m = 1L << 63; e = 0x3fff + r.nextInt(5) - 2; }
            case 12, 13 -> { m = (1L << 63) | ((rnd >>> 1) & (-1L << (11 + r.nextInt(50)))); e = 0x3fff + r.nextInt(130) - 65; }
            case 14, 15, 16 -> { m = rnd | (1L << 63); e = 0x3fff + r.nextInt(20) - 10; }
            case 17 -> { m = rnd | (1L << 63); e = r.nextInt(0x7ffe) + 1; }
            case 18 -> { m = rnd | (1L << 63); e = r.nextInt(200) + 1; }
            case 19 -> { m = rnd | (1L << 63); e = 0x7ffe - r.nextInt(200); }
            case 20 -> { m = rnd | (1L << 63); e = 0x3fff - 1022 + r.nextInt(140) - 70; }
            case 21 -> { m = rnd | (1L << 63); e = 0x3fff + 1023 - r.nextInt(10) + 5; }
            case 22 -> { m = rnd | (1L << 63); e = 0x3fff - 126 + r.nextInt(60) - 30; }
            case 23 -> { m = rnd | (1L << 63); e = 0x3fff + 127 - r.nextInt(10) + 5; }
            case 24 -> { m = ((1L << 63) | (rnd >>> 1)) & (-1L << 40) | (r.nextBoolean() ? 1L << 39 : 0); e = 0x3fff + r.nextInt(40) - 20; }
            case 25 -> { m = ((1L << 63) | (rnd >>> 1)) & (-1L << 11) | (r.nextBoolean() ? 1L << 10 : 0) | (r.nextBoolean() ? 1 : 0); e = 0x3fff + r.nextInt(40) - 20; }
            case 26, 27 -> { m = (1L << 63) | (rnd >>> 1); e = 0x3fff + 62 - r.nextInt(70); }
            case 28 -> { m = -1L << r.nextInt(64); e = 0x3fff + r.nextInt(64); }
            case 29 -> { m = rnd | (1L << 63); e = 0x3fff + 62 + r.nextInt(4); }
            default -> {
                m = rnd | (1L << 63);
                e = nearExp + r.nextInt(5) - 2;
                if (e < 1 || e > 0x7ffe) {
                    e = 0x3fff;
                }
            }
        }
        return new long[]{sign | e, m};
    }

    static byte[] state(Random r, int nregs, boolean emptyTop, boolean randomMasks) {
        ByteBuffer b = ByteBuffer.allocate(108).order(ByteOrder.LITTLE_ENDIAN);
        int pc = new int[]{0, 2, 3, 3, 3, 1}[r.nextInt(6)];
        int rc = r.nextInt(4);
        int masks = randomMasks ? r.nextInt(64) : 0x3f;
        int top = r.nextInt(8);
        int cc = r.nextBoolean() ? 0x4700 & r.nextInt() : 0;
        int tags = 0;
        for (int i = 0; i < 8; i++) {
            boolean valid = i < nregs && !(emptyTop && i == 0);
            tags |= (valid ? 0 : 3) << (2 * ((top + i) & 7));
        }
        b.putInt(0, masks | 0x40 | pc << 8 | rc << 10);
        b.putInt(4, top << 11 | cc);
        b.putInt(8, tags);
        long[] first = value(r, 0x3fff);
        for (int i = 0; i < 8; i++) {
            long[] v = i == 0 ? first : value(r, (int) (first[0] & 0x7fff));
            b.putLong(28 + 10 * i, v[1]);
            b.putShort(36 + 10 * i, (short) v[0]);
        }
        return b.array();
    }

    static byte[] mem(Random r) {
        ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        switch (r.nextInt(8)) {
            case 0 -> {
                for (int i = 0; i < 32; i++) {
                    b.put(i, (byte) r.nextInt());
                }
            }
            case 1 -> {
                long[] v = value(r, 0x3fff);
                b.putLong(0, v[1]).putShort(8, (short) v[0]);
            }
            case 2 -> b.putLong(0, r.nextLong());
            case 3 -> {
                int pick = r.nextInt(3);
                long bits = pick == 0 ? 0x7ff0_0000_0000_0001L | (r.nextLong() & 0x7_ffff_ffff_ffffL)
                        : pick == 1 ? r.nextLong() & 0x800f_ffff_ffff_ffffL
                        : (long) (r.nextInt(0x7fe) + 1) << 52 | (r.nextLong() & 0x800f_ffff_ffff_ffffL);
                b.putLong(0, bits);
            }
            case 4 -> {
                int pick = r.nextInt(3);
                int bits = pick == 0 ? 0x7f80_0001 | (r.nextInt() & 0x3f_ffff)
                        : pick == 1 ? r.nextInt() & 0x807f_ffff
                        : (r.nextInt(0xfe) + 1) << 23 | (r.nextInt() & 0x807f_ffff);
                b.putInt(0, bits);
            }
            case 5 -> b.putLong(0, r.nextInt(2000) - 1000);
            case 6 -> b.putLong(0, new long[]{Long.MIN_VALUE, Long.MAX_VALUE, Integer.MIN_VALUE, 0x8000, -32768, 32767,
                0x7fff_ffff, 1L << 53, (1L << 53) + 1}[r.nextInt(9)]);
            default -> {
                long low = 0;
                for (int i = 0; i < 16; i++) {
                    low |= (long) r.nextInt(r.nextInt(20) == 0 ? 16 : 10) << (4 * i);
                }
                b.putLong(0, low).put(8, (byte) (r.nextInt(10) | r.nextInt(10) << 4)).put(9, (byte) (r.nextBoolean() ? 0x80 : 0));
            }
        }
        return b.array();
    }

    // --- Digests -------------------------------------------------------------------------------------

    /** SHA-256 over each result with the FIP/FCS/FOP/FDP/FDS fields (bytes 12-27) cleared. */
    static String digest(List<X87Harness.Result> results) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (X87Harness.Result res : results) {
                byte[] image = res.image().clone();
                java.util.Arrays.fill(image, 12, 28, (byte) 0);
                md.update(image);
                md.update(res.mem());
                md.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(res.flags()).array());
            }
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> hardware() {
        Map<String, String> m = new LinkedHashMap<>();
        // Printed by X87HostDifferentialTest with -Dx87.host=true -Dx87.printDigests=true (AMD EPYC host).
        m.put("d8c0+", "1c4465e9a554e339");
        m.put("d8c8+", "580319e8bb146f68");
        m.put("d8d0+", "c4ec2829fe0d72d7");
        m.put("d8d8+", "a3a81e9b041aec96");
        m.put("d8e0+", "b63e12e57c760983");
        m.put("d8e8+", "17759f258d1c9198");
        m.put("d8f0+", "18854c2915c6a6a1");
        m.put("d8f8+", "c07b1ae671366231");
        m.put("dcc0+", "ea915fb19714afb6");
        m.put("dcc8+", "6a87bf6e3053b7ec");
        m.put("dcd0+", "45d0dbe6298cea36");
        m.put("dcd8+", "1bd2264842720526");
        m.put("dce0+", "caca679ca978bdd3");
        m.put("dce8+", "0e59ea8dee837e1d");
        m.put("dcf0+", "c6b020644e567628");
        m.put("dcf8+", "142822df7e1512c5");
        m.put("dec0+", "cb63b46e8a6c96cb");
        m.put("dec8+", "5605ba0c462b054f");
        m.put("ded0+", "58396d4acc3b92ed");
        m.put("ded9", "c6e21494c758f24c");
        m.put("dee0+", "4d4399e0bdd25faa");
        m.put("dee8+", "406101d7e5abd8f0");
        m.put("def0+", "3bc079159dd5e31c");
        m.put("def8+", "1b4a1c604ec42d81");
        m.put("d9c0+", "ea9241cf3c241ad2");
        m.put("d9c8+", "6daafc02fb54885c");
        m.put("d9d0", "19c1fed486b7ad3d");
        m.put("d9d8+", "8e481adc8e969e39");
        m.put("d9e0", "55a30c8051a17eaf");
        m.put("d9e1", "cfb43f2b4ecbf9fb");
        m.put("d9e4", "a100753970d4acc9");
        m.put("d9e5", "5c3c36b8f8bcbd07");
        m.put("d9e8", "f1f3f6f75dc47a0a");
        m.put("d9e9", "9d461935e4a548f9");
        m.put("d9ea", "35c1d34bc84d9eda");
        m.put("d9eb", "c122fbbec9a31a4a");
        m.put("d9ec", "fad7d787ccd864b3");
        m.put("d9ed", "0f90dd3e5002697d");
        m.put("d9ee", "adc8381a90653942");
        m.put("d9f4", "17854e73466a1d22");
        m.put("d9f5", "8237954ce747695b");
        m.put("d9f6", "2b9dae5b2a4c746c");
        m.put("d9f7", "b02e6bd3b36d5480");
        m.put("d9f8", "1e061e8f0484a486");
        m.put("d9fa", "81ab7d9302f574c0");
        m.put("d9fc", "0fee25be8669e4b2");
        m.put("d9fd", "c17db80863026f9f");
        m.put("dac0+", "e6eec80f9e88e330");
        m.put("dac8+", "d0154033853cfabe");
        m.put("dad0+", "f1b15a57a4a78875");
        m.put("dad8+", "983fc407f10344ae");
        m.put("dae9", "b1f1025c211a9c2e");
        m.put("dbc0+", "673e3801fa812e41");
        m.put("dbc8+", "f423c788f70a27ae");
        m.put("dbd0+", "d8a28849f6f82f63");
        m.put("dbd8+", "cc8325819cfc2d11");
        m.put("dbe2", "c9ca58786f5b44d0");
        m.put("dbe8+", "9d965fcbdf263768");
        m.put("dbf0+", "9999ede1276a0c92");
        m.put("ddc0+", "ca7d4429b9500a75");
        m.put("ddc8+", "aad68af297e192aa");
        m.put("ddd0+", "9038ccaaa42a9fcb");
        m.put("ddd8+", "8edda278feef777f");
        m.put("dde0+", "841d51a4c0ec0622");
        m.put("dde8+", "ca56bab538b2ed42");
        m.put("dfc0+", "d672d7560514379a");
        m.put("dfc8+", "6e0ded8ee7b3bb03");
        m.put("dfd0+", "3c1bb2fe99edbc52");
        m.put("dfd8+", "07023f3f240290af");
        m.put("dfe8+", "1e9a6e323747f733");
        m.put("dff0+", "7538809cd8564933");
        m.put("d8/0", "84b9f2e31f4aa007");
        m.put("d8/1", "375a1c3d6f3568aa");
        m.put("d8/2", "9480333a610916bc");
        m.put("d8/3", "3b17e3a432f552ce");
        m.put("d8/4", "25bed3c112a9fdab");
        m.put("d8/5", "c8f561f95a893c21");
        m.put("d8/6", "6f894390b2e83ecb");
        m.put("d8/7", "4bd13c240d0baf4d");
        m.put("dc/0", "831e3d3e7fd02e98");
        m.put("dc/1", "7a8ac7dfad573094");
        m.put("dc/2", "7e776ad2e7685712");
        m.put("dc/3", "b82da495f4a13d1e");
        m.put("dc/4", "f7051453c8544632");
        m.put("dc/5", "fddb14bf0e4afc4d");
        m.put("dc/6", "a76e6dfac2c4491a");
        m.put("dc/7", "0f4a2089aeb76eaf");
        m.put("da/0", "ed3720186f087ee1");
        m.put("da/1", "eed88455df54c993");
        m.put("da/2", "0b1c080e7ecf7f8a");
        m.put("da/3", "a3e1238bcff9dcd4");
        m.put("da/4", "c7d4e342cf5890f4");
        m.put("da/5", "edef503a549f6285");
        m.put("da/6", "da22a4e392113dc0");
        m.put("da/7", "92c4175ef7140424");
        m.put("de/0", "395154e7c17517a4");
        m.put("de/1", "0856065d49382b25");
        m.put("de/2", "8a40553056e91967");
        m.put("de/3", "1cfe10064700a6d2");
        m.put("de/4", "01847926300c2054");
        m.put("de/5", "fad55488ac3c3f61");
        m.put("de/6", "def0d050e623d821");
        m.put("de/7", "aa4302638b0d88ee");
        m.put("d9/0", "96b48b5d8f4609ea");
        m.put("d9/2", "7f4a00af36ab3636");
        m.put("d9/3", "65ca316c61305091");
        m.put("d9/4", "2fed136e7e540468");
        m.put("d9/5", "2084bb865f19537d");
        m.put("d9/6", "2ec7a0f092261bd6");
        m.put("d9/7", "ee09c9c86fe3d56e");
        m.put("db/0", "7060b7d814c35294");
        m.put("db/2", "01c9020f6ca07c5c");
        m.put("db/3", "138da1a382e7b2e2");
        m.put("db/5", "6f404a6913630bae");
        m.put("db/7", "6c231defdeaeb3b5");
        m.put("dd/0", "e61ffb215d664440");
        m.put("dd/2", "64bd19236b8e262b");
        m.put("dd/3", "232b723bbc371cb3");
        m.put("dd/7", "9dac426cf9789c1c");
        m.put("df/0", "f64c8bb878cfbeb0");
        m.put("df/2", "d728d75bcc588040");
        m.put("df/3", "15f92378fc80db25");
        m.put("df/4", "cce0685f21ccc57c");
        m.put("df/5", "2c993741032a1b21");
        m.put("df/6", "6405a372ed20acc4");
        m.put("df/7", "4cfa88d44a961c03");
        return m;
    }
}
