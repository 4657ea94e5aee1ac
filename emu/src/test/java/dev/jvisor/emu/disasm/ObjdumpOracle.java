package dev.jvisor.emu.disasm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs GNU objdump on raw bytes ({@code objdump -D -z -b binary}) and compares its listing with the
 * {@link Disassembler}'s, instruction by instruction at objdump's boundaries (so one disagreement in
 * length cannot derail the rest of the comparison).
 */
final class ObjdumpOracle {
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+?)\\s*\\t(.*)$");

    /** One line of objdump's listing. */
    record Line(long address, int length, String text) {
    }

    /** A disagreement: objdump's line and ours. */
    record Mismatch(String bytes, String objdump, String ours, int objdumpLength, int ourLength) {
        @Override
        public String toString() {
            return String.format("%-40s objdump[%d]: %-45s ours[%d]: %s", bytes, objdumpLength, objdump, ourLength,
                    ours);
        }
    }

    private ObjdumpOracle() {
    }

    static boolean available() {
        try {
            Process p = new ProcessBuilder("objdump", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String machine(CodeSize size) {
        return switch (size) {
            case BITS_16 -> "-mi8086";
            case BITS_32 -> "-mi386";
            case BITS_64 -> "-mi386:x86-64";
        };
    }

    /** objdump's listing of {@code code} loaded at {@code vma}. */
    static List<Line> disassemble(byte[] code, CodeSize size, long vma, Path dir) throws IOException,
            InterruptedException {
        Path in = Files.createTempFile(dir, "code", ".bin");
        Path out = Files.createTempFile(dir, "code", ".lst");
        Files.write(in, code);
        Process p = new ProcessBuilder("objdump", "-D", "-z", "-b", "binary", machine(size), "--insn-width=16",
                "--adjust-vma=0x" + Long.toHexString(vma), in.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("objdump failed: " + Files.readString(out).lines().limit(5).toList());
        }
        List<Line> lines = new ArrayList<>();
        try (var reader = Files.newBufferedReader(out, StandardCharsets.UTF_8)) {
            String s;
            while ((s = reader.readLine()) != null) {
                Matcher m = LINE.matcher(s);
                if (m.matches()) {
                    int length = (m.group(2).length() + 1) / 3;
                    lines.add(new Line(Long.parseUnsignedLong(m.group(1), 16), length, m.group(3)));
                }
            }
        }
        Files.delete(in);
        Files.delete(out);
        return lines;
    }

    static String normalize(String s) {
        return s.trim().replaceAll("\\s+", " ");
    }

    /**
     * Compares every objdump line (except in the last 15 bytes, where an instruction may be cut short
     * by the end of the bytes) with our decoding at the same address.
     */
    static List<Mismatch> compare(byte[] code, CodeSize size, long vma, List<Line> lines, AddressNamer namer) {
        Disassembler dis = new Disassembler(size, namer);
        List<Mismatch> out = new ArrayList<>();
        for (int i = 0; i < lines.size() - 1; i++) {
            Line l = lines.get(i);
            int offset = (int) (l.address() - vma);
            if (size != CodeSize.BITS_64) {
                offset = (int) ((l.address() - vma) & 0xffff_ffffL);
            }
            if (code.length - offset < 15) {
                break; // an instruction cut short by the end of the bytes: objdump prints .byte lines
            }
            DecodedInstruction ours = dis.decode(code, offset, code.length - offset, vma + offset);
            String theirs = normalize(l.text());
            String mine = normalize(ours.text());
            if (ours.length() != l.length() || !theirs.equals(mine)) {
                StringBuilder hex = new StringBuilder();
                for (int k = 0; k < Math.max(l.length(), ours.length()) && offset + k < code.length; k++) {
                    hex.append(String.format("%02x ", code[offset + k] & 0xff));
                }
                out.add(new Mismatch(hex.toString().trim(), theirs, mine, l.length(), ours.length()));
            }
        }
        return out;
    }
}
