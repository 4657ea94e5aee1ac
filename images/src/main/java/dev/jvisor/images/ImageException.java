package dev.jvisor.images;

import java.io.IOException;

/**
 * Fetching, verifying or building the guest image failed: the network is unreachable, a signature
 * or checksum does not match, a package or archive is malformed, or the cache cannot be written.
 *
 * <p>The message always says what was being done and with which file or URL, so that it can be shown
 * to the user as is.
 */
public class ImageException extends IOException {
    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
