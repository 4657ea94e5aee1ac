package dev.jvisor.kvm.bench;

import dev.jvisor.hypervisor.HypervisorException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Compiles {@code kvm_exit.c} (shipped as a resource) with gcc into a temporary directory and runs
 * it on the same guest code, for the Java/C comparison of {@link KvmExitBench}.
 */
final class CReference {
    private static final Pattern RESULT = Pattern.compile("kvm-exit-c: (\\d+) exits, (\\d+) ns");

    private CReference() {
    }

    /** The C measurement, or empty when gcc is not installed. */
    static Optional<KvmExitBench.Result> measure(long exits, byte[] guest) {
        KvmExitBench.checkExits(exits);
        Path dir = null;
        try {
            dir = Files.createTempDirectory("jvisor-kvm-exit");
            Path source = dir.resolve("kvm_exit.c");
            try (InputStream in = CReference.class.getResourceAsStream("kvm_exit.c")) {
                if (in == null) {
                    throw new IllegalStateException("kvm_exit.c is missing from the jvisor-kvm jar");
                }
                Files.copy(in, source);
            }
            Path binary = dir.resolve("kvm_exit");
            Optional<String> compiled = run(dir, 120, "gcc", "-O2", "-o", binary.toString(), source.toString());
            if (compiled.isEmpty()) {
                return Optional.empty();
            }
            Path code = dir.resolve("guest.bin");
            Files.write(code, guest);
            // Exits cost microseconds on any host; allow a generous 1 ms each plus a minute.
            long timeout = 60 + exits / 1000;
            String output = run(dir, timeout, binary.toString(), code.toString(), Long.toString(exits))
                    .orElseThrow(() -> new IllegalStateException("could not start the compiled kvm_exit"));
            Matcher m = RESULT.matcher(output);
            if (!m.find()) {
                throw new HypervisorException("kvm_exit printed no result: " + output.strip());
            }
            return Optional.of(new KvmExitBench.Result(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
        } catch (IOException e) {
            throw new HypervisorException("the C reference benchmark failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException("interrupted while running the C reference benchmark", e);
        } finally {
            deleteQuietly(dir);
        }
    }

    /** Runs a command; empty if it cannot be started (not installed); its output on success. */
    private static Optional<String> run(Path dir, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return Optional.empty();
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(command[0] + " did not finish within " + timeoutSeconds + " s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + output.strip());
        }
        return Optional.of(output);
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temp directory is harmless.
        }
    }
}
