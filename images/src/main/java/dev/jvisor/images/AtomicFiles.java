package dev.jvisor.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Cache writes that never leave a half-written file under its final name: write a temporary file in
 * the same directory (so the rename stays on one file system), flush it, then rename it into place.
 */
final class AtomicFiles {
    private AtomicFiles() {
    }

    /** A new temporary file beside {@code target}; {@code .tmp} files are swept by the cache. */
    static Path tempBeside(Path target) throws IOException {
        return Files.createTempFile(target.getParent(), "." + target.getFileName() + "-", ".tmp");
    }

    /** Renames {@code temp} to {@code target}, replacing it, atomically. */
    static void moveIntoPlace(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + target.getParent() + " cannot rename atomically", e);
        }
    }

    /** Writes text to {@code target} atomically. */
    static void writeString(Path target, String text) throws IOException {
        Path temp = tempBeside(target);
        try {
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            moveIntoPlace(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
