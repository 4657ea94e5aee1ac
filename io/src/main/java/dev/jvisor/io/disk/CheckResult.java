package dev.jvisor.io.disk;

import java.util.List;

/**
 * Outcome of a consistency check, in the terms of {@code qemu-img check}: corruptions are real errors
 * (a table points at a cluster whose refcount is too low, out of the file, misaligned); leaks are
 * clusters counted but unused, harmless wasted space.
 *
 * @param corruptions number of errors found
 * @param leaks number of leaked clusters
 * @param problems human-readable descriptions (the first 100)
 * @param allocatedClusters guest clusters that have data in this image (qcow2), 0 for raw
 * @param totalClusters guest clusters of the virtual disk (qcow2), 0 for raw
 * @param compressedClusters allocated guest clusters that are compressed
 */
public record CheckResult(long corruptions, long leaks, List<String> problems, long allocatedClusters, long totalClusters,
        long compressedClusters) {
    public CheckResult {
        problems = List.copyOf(problems);
    }

    /** No corruptions and no leaks. */
    public boolean clean() {
        return corruptions == 0 && leaks == 0;
    }
}
