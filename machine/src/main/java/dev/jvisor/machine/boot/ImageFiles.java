package dev.jvisor.machine.boot;

import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reading kernels, initrds and modules from the host, with errors that name the file. Large files
 * (initrds) are streamed straight into guest RAM instead of through a heap copy.
 */
final class ImageFiles {
    /** Chunk size for streaming into guest RAM; a ByteBuffer view is limited to 2 GiB. */
    private static final long CHUNK = 1L << 30;

    private ImageFiles() {
    }

    /** Size of {@code path}, which must be a readable regular file. */
    static long size(Path path, String what) throws KernelLoadException {
        try {
            if (!Files.isRegularFile(path)) {
                throw new KernelLoadException(what + " " + path + " does not exist or is not a regular file");
            }
            return Files.size(path);
        } catch (IOException e) {
            throw new KernelLoadException("cannot read " + what + " " + path + ": " + e.getMessage(), e);
        }
    }

    /** Reads the whole kernel image, refusing files larger than guest RAM before reading them. */
    static byte[] readKernel(Path path, long ramBytes) throws KernelLoadException {
        long size = size(path, "kernel");
        if (size > ramBytes || size > Integer.MAX_VALUE - 8) {
            throw new KernelLoadException(String.format("kernel %s of %s is larger than the %s of guest RAM",
                    path, MemoryMap.describeSize(size), MemoryMap.describeSize(ramBytes)));
        }
        if (size == 0) {
            throw new KernelLoadException("kernel " + path + " is empty");
        }
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new KernelLoadException("kernel " + path + " does not exist", e);
        } catch (IOException | OutOfMemoryError e) {
            throw new KernelLoadException("cannot read kernel " + path + ": " + e.getMessage(), e);
        }
    }

    /** Copies exactly {@code size} bytes of {@code path} into guest RAM at {@code address}. */
    static void copyInto(Path path, String what, GuestMemory memory, long address, long size)
            throws KernelLoadException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long done = 0;
            while (done < size) {
                long chunk = Math.min(CHUNK, size - done);
                MemorySegment target = memory.slice(address + done, chunk);
                ByteBuffer buffer = target.asByteBuffer();
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer) < 0) {
                        throw new KernelLoadException(String.format("%s %s shrank while being loaded (%d of %d bytes)",
                                what, path, done + buffer.position(), size));
                    }
                }
                memory.noteWrite(address + done, chunk);
                done += chunk;
            }
        } catch (IOException e) {
            throw new KernelLoadException("cannot read " + what + " " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Encodes a command line or module string: UTF-8, NUL terminated. A NUL inside the string
     * would silently cut it short in the guest, so it is refused.
     */
    static byte[] cString(String text, String what) throws KernelLoadException {
        if (text.indexOf('\0') >= 0) {
            throw new KernelLoadException(what + " contains a NUL character");
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, out, 0, utf8.length);
        return out;
    }
}
