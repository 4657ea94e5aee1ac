package dev.jvisor.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs GNU as (binutils) on a batch of Intel-syntax snippets and returns each snippet's bytes, so
 * tests can compare {@link Asm}'s encodings with a reference assembler.
 *
 * <p>Each snippet is preceded by a label {@code tN}; {@code {L}} inside a snippet expands to a
 * prefix unique to that snippet, for its own local labels.
 */
final class GnuAs {
    private GnuAs() {
    }

    /** Whether {@code as}, {@code objcopy} and {@code nm} can be run. */
    static boolean available() {
        try {
            for (String tool : List.of("as", "objcopy", "nm")) {
                Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static List<byte[]> assemble(int bits, List<String> snippets) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jvisor-gas");
        try {
            StringBuilder src = new StringBuilder(".intel_syntax noprefix\n.code").append(bits).append('\n');
            for (int i = 0; i < snippets.size(); i++) {
                src.append("t").append(i).append(":\n")
                        .append(snippets.get(i).replace("{L}", "c" + i + "_")).append('\n')
                        .append(".intel_syntax noprefix\n.code").append(bits).append('\n');
            }
            src.append("tend:\n");
            Path s = dir.resolve("t.s");
            Path o = dir.resolve("t.o");
            Path bin = dir.resolve("t.bin");
            Files.writeString(s, src);
            run(dir, "as", "--64", "-o", o.toString(), s.toString());
            run(dir, "objcopy", "-O", "binary", "-j", ".text", o.toString(), bin.toString());
            String symbols = run(dir, "nm", o.toString());
            Map<String, Integer> offsets = new HashMap<>();
            for (String line : symbols.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 3) {
                    offsets.put(f[2], Integer.parseInt(f[0], 16));
                }
            }
            byte[] all = Files.readAllBytes(bin);
            List<byte[]> out = new ArrayList<>();
            for (int i = 0; i < snippets.size(); i++) {
                int from = offsets.get("t" + i);
                int to = i + 1 < snippets.size() ? offsets.get("t" + (i + 1)) : offsets.get("tend");
                byte[] piece = new byte[to - from];
                System.arraycopy(all, from, piece, 0, piece.length);
                out.add(piece);
            }
            return out;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed:\n" + output);
        }
        return output;
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x ", b & 0xff));
        }
        return sb.toString().trim();
    }
}
