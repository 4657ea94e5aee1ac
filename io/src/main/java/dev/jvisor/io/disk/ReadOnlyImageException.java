package dev.jvisor.io.disk;

import java.io.IOException;

/** A write, discard or zeroing request reached a read-only image. */
public final class ReadOnlyImageException extends IOException {
    public ReadOnlyImageException(String image) {
        super("image " + image + " is open read-only");
    }
}
