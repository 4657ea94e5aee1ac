package dev.jvisor.images;

import java.nio.file.Path;

/**
 * A file downloaded (or found) on disk with the size and SHA-256 of its content.
 *
 * @param path   where the bytes are
 * @param size   their number
 * @param sha256 their SHA-256, lower-case hex
 */
public record FetchedFile(Path path, long size, String sha256) {
}
