package dev.jvisor.server.manager;

import dev.jvisor.server.json.Json;
import dev.jvisor.server.json.JsonInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VM definitions on disk, one JSON file per VM in {@code <state>/vms/}. Writes are atomic and
 * durable: the new content goes to a temporary file in the same directory, which is fsynced and
 * renamed over the old one (rename(2) is atomic within a file system), and then the directory is
 * fsynced so the rename itself survives a crash. An abrupt kill leaves either the old or the new
 * file, never a torn one; leftover temporary files are removed at the next start.
 */
public final class DefinitionStore {
    private static final Logger LOG = LoggerFactory.getLogger(DefinitionStore.class);
    private static final String SUFFIX = ".json";
    private static final String TEMP_PREFIX = ".tmp-";

    private final Path dir;

    public DefinitionStore(Path stateDir) throws IOException {
        this.dir = stateDir.resolve("vms");
        Files.createDirectories(dir);
    }

    public Path directory() {
        return dir;
    }

    /** Writes (or replaces) {@code def} atomically and durably. */
    public synchronized void save(VmDefinition def) throws IOException {
        Path target = dir.resolve(def.name() + SUFFIX);
        Path temp = Files.createTempFile(dir, TEMP_PREFIX, SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(Json.writePretty(def));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory();
    }

    /** Removes the definition of {@code name} durably (no error if absent). */
    public synchronized void delete(String name) throws IOException {
        if (Files.deleteIfExists(dir.resolve(name + SUFFIX))) {
            syncDirectory();
        }
    }

    private void syncDirectory() throws IOException {
        // fsync on a directory descriptor makes its entries durable (POSIX; Linux allows it read-only).
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Every stored definition. Leftover temporary files are deleted; a file that does not parse or
     * validate is renamed to {@code NAME.json.bad} and reported, so one damaged file does not keep
     * the daemon from starting.
     */
    public synchronized List<VmDefinition> loadAll() throws IOException {
        List<VmDefinition> all = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String f = p.getFileName().toString();
                if (f.startsWith(TEMP_PREFIX)) {
                    Files.deleteIfExists(p);
                    continue;
                }
                if (!f.endsWith(SUFFIX)) {
                    continue;
                }
                try {
                    VmDefinition d = Json.read(Files.readAllBytes(p), VmDefinition.class);
                    if (!(d.name() + SUFFIX).equals(f)) {
                        throw new JsonInputException("the file name does not match the VM's name '" + d.name() + "'");
                    }
                    all.add(d);
                } catch (JsonInputException e) {
                    Path bad = p.resolveSibling(f + ".bad");
                    LOG.error("VM definition {} is unreadable ({}); moved to {}", p, e.getMessage(), bad);
                    Files.move(p, bad, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return all;
    }
}
