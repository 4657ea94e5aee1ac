package dev.jvisor.io.disk;

import java.nio.file.Path;

/**
 * What {@code jvisor image info} shows about an image.
 *
 * @param path the image file
 * @param format its format
 * @param virtualSize the disk size the guest sees, in bytes
 * @param fileSize the image file's length in bytes
 * @param clusterSize qcow2 cluster size in bytes, 0 for raw
 * @param qcowVersion qcow2 version (2 or 3), 0 for raw
 * @param backingFile backing file name as stored, or null
 * @param backingFormat stored backing format, or null
 * @param dirty qcow2 dirty bit (lazy refcounts not yet made consistent)
 * @param corrupt qcow2 corrupt bit
 * @param snapshots number of internal snapshots
 */
public record ImageInfo(Path path, DiskFormat format, long virtualSize, long fileSize, int clusterSize, int qcowVersion,
        String backingFile, String backingFormat, boolean dirty, boolean corrupt, int snapshots) {}
