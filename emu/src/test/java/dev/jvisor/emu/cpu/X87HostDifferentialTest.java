package dev.jvisor.emu.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in differential test against the x87 of the machine running the build (x86-64 Linux with gcc):
 * {@code -Dx87.host=true}. A small C program executes the same byte sequences as {@link X87Harness}
 * natively (FRSTOR, the instruction, FNSAVE, PUSHFQ) and the results are compared with the emulator:
 * bit for bit, except that transcendental results may differ by {@code -Dx87.tolerance} (relative,
 * default 1e-13, C1 ignored) because the emulator computes them in double precision. Runs the cases
 * of {@link X87HardwareDigestTest} plus {@code -Dx87.cases} random ones; {@code -Dx87.printDigests}
 * prints the digest table {@link X87HardwareDigestTest} embeds.
 */
@EnabledIfSystemProperty(named = "x87.host", matches = "true")
class X87HostDifferentialTest {
    private static final String ORACLE = """
            #include <stdio.h>
            #include <string.h>
            #include <stdint.h>
            #include <sys/mman.h>
            static int unhex(const char *s, unsigned char *out, int max) {
              int n = 0;
              while (s[0] && s[1] && n < max) { unsigned v; sscanf(s, "%2x", &v); out[n++] = v; s += 2; }
              return n;
            }
            int main(void) {
              unsigned char *code = mmap(0, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
              static char line[4096];
              static unsigned char buf[0x300] __attribute__((aligned(64)));
              while (fgets(line, sizeof line, stdin)) {
                char *p1 = strtok(line, " \\n"), *p2 = strtok(0, " \\n"), *p3 = strtok(0, " \\n");
                if (!p1 || !p2 || !p3) continue;
                memset(buf, 0, sizeof buf);
                unhex(p1, buf, 108);
                unhex(p2, buf + 0x200, 32);
                unsigned char op[32]; int n = unhex(p3, op, 32), k = 0;
                static const unsigned char pre[] = {0x48,0x89,0xfe,0x48,0x81,0xc6,0x00,0x02,0,0,0xdd,0x27};
                static const unsigned char post[] = {0xdd,0xb7,0,1,0,0,0x9c,0x58,0x48,0x89,0x87,0xf8,0x01,0,0,0xdb,0xe3,0xc3};
                memcpy(code, pre, sizeof pre); k = sizeof pre;
                memcpy(code + k, op, n); k += n;
                memcpy(code + k, post, sizeof post);
                ((void(*)(void*))code)(buf);
                for (int i = 0; i < 108; i++) printf("%02x", buf[0x100 + i]);
                printf(" ");
                for (int i = 0; i < 32; i++) printf("%02x", buf[0x200 + i]);
                uint64_t fl; memcpy(&fl, buf + 0x1f8, 8);
                printf(" %llx\\n", (unsigned long long)(fl & 0x8d5));
              }
              return 0;
            }
            """;
    private static final String TRANSCENDENTAL = "d9f[0-3]|d9f9|d9fb|d9fe|d9ff";

    @Test
    void emulatorMatchesThisProcessor() throws Exception {
        assumeTrue(System.getProperty("os.arch").matches("amd64|x86_64") && System.getProperty("os.name").equals("Linux"));
        Path dir = Files.createTempDirectory("x87oracle");
        Files.writeString(dir.resolve("oracle.c"), ORACLE);
        Process cc = new ProcessBuilder("gcc", "-O1", "-o", dir.resolve("oracle").toString(), dir.resolve("oracle.c").toString())
                .inheritIO().start();
        assumeTrue(cc.waitFor() == 0, "gcc is needed to build the oracle");

        List<String> names = new ArrayList<>();
        List<X87Harness.Case> cases = new ArrayList<>();
        for (String op : X87HardwareDigestTest.OPS) {
            for (X87Harness.Case c : X87HardwareDigestTest.cases(op)) {
                names.add(op);
                cases.add(c);
            }
        }
        String[] all = Arrays.copyOf(X87HardwareDigestTest.OPS, X87HardwareDigestTest.OPS.length + 8);
        System.arraycopy(new String[]{"d9f0", "d9f1", "d9f2", "d9f3", "d9f9", "d9fb", "d9fe", "d9ff"}, 0, all,
                X87HardwareDigestTest.OPS.length, 8);
        Random r = new Random(Long.getLong("x87.seed", 1));
        for (int i = 0, n = Integer.getInteger("x87.cases", 20000); i < n; i++) {
            String op = all[r.nextInt(all.length)];
            names.add(op);
            int nregs = r.nextInt(10) == 0 ? r.nextInt(9) : 2 + r.nextInt(5);
            cases.add(new X87Harness.Case(X87HardwareDigestTest.state(r, nregs, r.nextInt(40) == 0, r.nextInt(5) == 0),
                    X87HardwareDigestTest.mem(r), X87HardwareDigestTest.code(r, op)));
        }
        List<X87Harness.Result> hw = host(dir.resolve("oracle"), cases);
        List<X87Harness.Result> emu = X87Harness.run(cases);

        if (Boolean.getBoolean("x87.printDigests")) {
            String[] ops = X87HardwareDigestTest.OPS;
            int per = X87HardwareDigestTest.PER_OP;
            for (int k = 0; k < ops.length; k++) {
                System.out.printf("        m.put(\"%s\", \"%s\");%n", ops[k],
                        X87HardwareDigestTest.digest(hw.subList(k * per, (k + 1) * per)));
            }
        }
        double tolerance = Double.parseDouble(System.getProperty("x87.tolerance", "1e-13"));
        List<String> report = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            byte[] a = emu.get(i).image().clone(), b = hw.get(i).image().clone();
            Arrays.fill(a, 12, 28, (byte) 0);
            Arrays.fill(b, 12, 28, (byte) 0);
            String op = names.get(i);
            if (op.matches(TRANSCENDENTAL)) {
                if (op.equals("d9f9") && outsideFyl2xp1Domain(cases.get(i).state())) {
                    continue; // the SDM leaves these results undefined
                }
                tolerate(a, b, tolerance);
            }
            if (!Arrays.equals(a, b) || !Arrays.equals(emu.get(i).mem(), hw.get(i).mem()) || emu.get(i).flags() != hw.get(i).flags()) {
                report.add(describe(op, cases.get(i), hw.get(i), emu.get(i)));
            }
        }
        report.stream().limit(40).forEach(System.out::println);
        assertThat(report).as("cases that differ from this processor").isEmpty();
    }

    private static boolean outsideFyl2xp1Domain(byte[] state) {
        int e = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).getShort(36) & 0x7fff;
        return e >= 0x3ffd && e != 0x7fff;
    }

    private static List<X87Harness.Result> host(Path oracle, List<X87Harness.Case> cases) throws Exception {
        Process p = new ProcessBuilder(oracle.toString()).start();
        HexFormat hex = HexFormat.of();
        Thread feeder = Thread.ofPlatform().start(() -> {
            try (Writer w = new BufferedWriter(new OutputStreamWriter(p.getOutputStream()))) {
                for (X87Harness.Case c : cases) {
                    w.write(hex.formatHex(c.state()) + " " + hex.formatHex(c.mem()) + " " + hex.formatHex(c.code()) + "\n");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        List<X87Harness.Result> out = new ArrayList<>();
        try (BufferedReader rd = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String l; (l = rd.readLine()) != null; ) {
                String[] f = l.split(" ");
                out.add(new X87Harness.Result(hex.parseHex(f[0]), hex.parseHex(f[1]), Long.parseLong(f[2], 16)));
            }
        }
        feeder.join();
        assertThat(out).hasSize(cases.size());
        return out;
    }

    /** Accepts C1 and register values within {@code tol} relative error (copying the hardware's bits). */
    private static void tolerate(byte[] a, byte[] b, double tol) {
        ByteBuffer x = ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN), y = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        x.putShort(4, (short) (x.getShort(4) & ~0x200));
        y.putShort(4, (short) (y.getShort(4) & ~0x200));
        for (int i = 0; i < 8; i++) {
            long ma = x.getLong(28 + 10 * i), mb = y.getLong(28 + 10 * i);
            int sa = x.getShort(36 + 10 * i) & 0xffff, sb = y.getShort(36 + 10 * i) & 0xffff;
            int ca = X87Float.classify(ma, sa), cb = X87Float.classify(mb, sb);
            boolean finite = (ca == X87Float.NORMAL || ca == X87Float.DENORMAL) && (cb == X87Float.NORMAL || cb == X87Float.DENORMAL);
            if ((ma == mb && sa == sb) || !finite || sa >> 15 != sb >> 15) {
                continue;
            }
            int ea = X87Float.exponent(ma, sa), eb = X87Float.exponent(mb, sb);
            double da = Math.scalb(X87.decode(X87Float.significand(ma), 0x3fff), ea - eb);
            double db = X87.decode(X87Float.significand(mb), 0x3fff);
            if (Math.abs(ea - eb) <= 1 && Math.abs(da - db) <= 2 * tol) {
                x.putLong(28 + 10 * i, mb);
                x.putShort(36 + 10 * i, (short) sb);
            }
        }
    }

    private static String describe(String op, X87Harness.Case c, X87Harness.Result hw, X87Harness.Result emu) {
        HexFormat hex = HexFormat.of();
        return "op " + op + " " + hex.formatHex(c.code()) + "\n  in : " + regs(c.state()) + "\n  mem: " + hex.formatHex(c.mem())
                + "\n  hw : " + regs(hw.image()) + " mem " + hex.formatHex(hw.mem(), 0, 12) + " fl " + Long.toHexString(hw.flags())
                + "\n  emu: " + regs(emu.image()) + " mem " + hex.formatHex(emu.mem(), 0, 12) + " fl " + Long.toHexString(emu.flags());
    }

    private static String regs(byte[] img) {
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        StringBuilder s = new StringBuilder(String.format("fcw=%04x fsw=%04x ftw=%04x |", b.getShort(0), b.getShort(4), b.getShort(8)));
        for (int i = 0; i < 8; i++) {
            s.append(String.format(" %04x:%016x", b.getShort(36 + 10 * i), b.getLong(28 + 10 * i)));
        }
        return s.toString();
    }
}
