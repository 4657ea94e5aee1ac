package dev.jvisor.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removal of the temporary directories benchmarks work in. */
final class TempFiles {
    private TempFiles() {
    }

    /** Deletes {@code dir} and everything in it; failures are reported, not thrown. */
    static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("jvisor: cannot delete " + p + ": " + e.getMessage());
                }
            });
        } catch (IOException e) {
            System.err.println("jvisor: cannot clean up " + dir + ": " + e.getMessage());
        }
    }
}
