package dev.jvisor.io.disk;

import java.io.IOException;
import java.nio.file.Path;

/** The image file is locked by another VM (in this process or another one). */
public final class ImageLockedException extends IOException {
    public ImageLockedException(Path image) {
        super("image " + image + " is in use by another VM (locked)");
    }
}
