package dev.jvisor.vmm;

import dev.jvisor.machine.boot.BootModule;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Parses {@code --module FILE[,STRING]}: a Multiboot module and the string its kernel sees next to
 * it (Multiboot Specification 0.6.96 §3.3). Everything after the first single comma is the string,
 * commas included; a comma in FILE is written twice. Without a string, the module's string is the
 * file's name (as for the initrd, which is module 0).
 */
public final class ModuleArguments {
    private ModuleArguments() {
    }

    /**
     * @throws IllegalArgumentException for an empty argument or a file that does not exist
     */
    public static BootModule parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("--module needs FILE[,STRING]");
        }
        StringBuilder file = new StringBuilder();
        String string = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',' && i + 1 < text.length() && text.charAt(i + 1) == ',') {
                file.append(',');
                i++;
            } else if (c == ',') {
                string = text.substring(i + 1);
                break;
            } else {
                file.append(c);
            }
        }
        if (file.isEmpty()) {
            throw new IllegalArgumentException("--module '" + text + "' names no file");
        }
        Path path = Path.of(file.toString());
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("module file " + path + " does not exist or is not a regular file");
        }
        if (string == null) {
            Path name = path.getFileName();
            string = name == null ? "" : name.toString();
        }
        return new BootModule(path, string);
    }
}
