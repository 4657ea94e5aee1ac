package dev.jvisor.images;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The content of the default initramfs: busybox, the generated {@code /init}, the kernel modules it
 * loads and the few files a shell expects.
 */
public final class DefaultInitramfs {
    /** Device numbers of /dev/console (Linux Documentation/admin-guide/devices.txt: char 5:1). */
    private static final int CONSOLE_MAJOR = 5;
    private static final int CONSOLE_MINOR = 1;

    private DefaultInitramfs() {
    }

    /**
     * Builds the entries.
     *
     * @param busybox the static busybox binary
     * @param kernel  the extracted kernel whose modules go in {@code /lib/modules/<version>/}
     */
    public static InitramfsBuilder create(byte[] busybox, KernelPackage.Extracted kernel) {
        InitramfsBuilder initramfs = new InitramfsBuilder();
        for (String directory : List.of("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/proc", "/sys", "/dev", "/etc",
                "/lib", "/mnt", "/run", "/var")) {
            initramfs.directory(directory, 0755);
        }
        initramfs.directory("/tmp", 01777);
        initramfs.directory("/root", 0700);
        // The kernel opens /dev/console on the initramfs before devtmpfs is mounted, to give /init its
        // stdin, stdout and stderr (init/main.c, console_on_rootfs); without this node /init runs
        // with no output at all.
        initramfs.characterDevice("/dev/console", 0600, CONSOLE_MAJOR, CONSOLE_MINOR);
        initramfs.file("/bin/busybox", busybox, 0755);
        initramfs.symlink("/bin/sh", "busybox");
        initramfs.textFile("/init", InitScript.generate(kernel.version(), kernel.modules()), 0755);

        String moduleRoot = "/lib/modules/" + kernel.version() + "/";
        StringJoiner modulesDep = new StringJoiner("\n", "", kernel.modules().isEmpty() ? "" : "\n");
        for (KernelPackage.ModuleFile module : kernel.modules()) {
            initramfs.file(moduleRoot + module.path(), module.content(), 0644);
            modulesDep.add(module.path() + ":" + dependencyPaths(module, kernel.modules()));
        }
        // So that busybox modprobe works for these modules inside the guest (modules.dep(5)).
        initramfs.textFile(moduleRoot + "modules.dep", modulesDep.toString(), 0644);

        initramfs.textFile("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
        initramfs.textFile("/etc/group", "root:x:0:\n", 0644);
        initramfs.textFile("/etc/hostname", InitScript.HOSTNAME + "\n", 0644);
        initramfs.textFile("/etc/hosts", "127.0.0.1\tlocalhost " + InitScript.HOSTNAME + "\n", 0644);
        initramfs.textFile("/etc/profile", """
                export PATH=/sbin:/bin:/usr/sbin:/usr/bin
                export HOME=/root
                PS1='\\h:\\w\\$ '
                """, 0644);
        return initramfs;
    }

    /** The paths of all modules {@code module} needs, nearest first, as modules.dep lists them. */
    private static String dependencyPaths(KernelPackage.ModuleFile module, List<KernelPackage.ModuleFile> all) {
        StringBuilder paths = new StringBuilder();
        Set<String> seen = new LinkedHashSet<>();
        collect(module, all, seen);
        seen.remove(module.name());
        for (String name : seen) {
            for (KernelPackage.ModuleFile candidate : all) {
                if (candidate.name().equals(name)) {
                    paths.append(' ').append(candidate.path());
                }
            }
        }
        return paths.toString();
    }

    private static void collect(KernelPackage.ModuleFile module, List<KernelPackage.ModuleFile> all,
                                Set<String> seen) {
        if (!seen.add(module.name())) {
            return;
        }
        for (String dependency : module.depends()) {
            for (KernelPackage.ModuleFile candidate : all) {
                if (candidate.name().equals(dependency)) {
                    collect(candidate, all, seen);
                }
            }
        }
    }
}
