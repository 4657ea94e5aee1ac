package dev.jvisor.io.disk;

import java.io.IOException;

/**
 * The image's format is damaged (a corrupt header or table, an entry pointing outside the file) or
 * uses a feature jvisor does not implement. The message names the problem.
 */
public class InvalidImageException extends IOException {
    public InvalidImageException(String message) {
        super(message);
    }

    public InvalidImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
