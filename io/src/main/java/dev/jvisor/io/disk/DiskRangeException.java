package dev.jvisor.io.disk;

import java.io.IOException;

/** A request touched bytes outside the disk. */
public final class DiskRangeException extends IOException {
    public DiskRangeException(long offset, long length, long size) {
        super(String.format("request of %d bytes at offset %d is outside the disk (size %d bytes)", length, offset, size));
    }
}
