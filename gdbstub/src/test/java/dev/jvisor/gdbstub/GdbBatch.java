package dev.jvisor.gdbstub;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the real {@code gdb} (Debian's package) in batch mode with a command script. */
final class GdbBatch {
    private GdbBatch() {
    }

    /** Skips the calling test when no gdb is installed. */
    static void assumeGdb() {
        boolean present;
        try {
            Process p = new ProcessBuilder("gdb", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            present = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            present = false;
        }
        assumeTrue(present, "gdb is not installed (Debian package 'gdb'), so the real-debugger tests are skipped");
    }

    /**
     * Runs {@code gdb -batch -nx} on {@code file} (may be null) with the commands, and returns its
     * combined output.
     */
    static String run(Path dir, Path file, List<String> commands, long timeoutSeconds) throws Exception {
        Path script = dir.resolve("commands.gdb");
        Files.write(script, commands, StandardCharsets.UTF_8);
        List<String> argv = new ArrayList<>(List.of("gdb", "-batch", "-nx", "-x", script.toString()));
        if (file != null) {
            argv.add(file.toString());
        }
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("(output lost: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            throw new AssertionError("gdb did not finish in " + timeoutSeconds + " s; output so far:\n"
                    + (out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8)));
        }
        reader.join(5000);
        return new String(out[0], StandardCharsets.UTF_8);
    }

    /** The hex value printed as {@code NAME=hex} by a {@code printf} in the script. */
    static long value(String output, String name) {
        Matcher m = Pattern.compile("^" + name + "=([0-9a-f]+)$", Pattern.MULTILINE).matcher(output);
        if (!m.find()) {
            throw new AssertionError("gdb printed no " + name + "=...:\n" + output);
        }
        return Long.parseUnsignedLong(m.group(1), 16);
    }
}
