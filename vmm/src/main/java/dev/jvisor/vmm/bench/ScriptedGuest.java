package dev.jvisor.vmm.bench;

import dev.jvisor.images.DefaultImage;
import dev.jvisor.images.ImageException;
import dev.jvisor.images.InitScript;
import dev.jvisor.images.InitramfsBuilder;
import dev.jvisor.vmm.VmConfig;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The default image set up to run one shell script instead of the interactive shell: the script
 * (and any other files) go into an extra initramfs archive, and {@code jvisor.run=} on the kernel
 * command line tells the default {@code /init} to run it ({@link InitScript}). After the script
 * {@code /init} prints {@link #exitLine}, syncs and powers the machine off. Benchmarks and the
 * real-guest tests use this instead of typing into the console.
 */
public final class ScriptedGuest {
    /** Where the script lands in the guest. */
    public static final String SCRIPT = "/jvisor/script.sh";

    private ScriptedGuest() {
    }

    /**
     * A configuration booting {@code image} to run {@code script} (with no drives or interfaces yet).
     *
     * @param workDir   where the combined initrd is written
     * @param files     further text files for the initramfs, by absolute guest path (mode 0755)
     * @param memoryBytes guest RAM
     * @param accel     the back end the configuration names
     */
    public static VmConfig config(DefaultImage image, Path workDir, String script, Map<String, String> files,
                                  long memoryBytes, VmConfig.Accel accel) throws ImageException {
        InitramfsBuilder extras = new InitramfsBuilder();
        extras.textFile(SCRIPT, script, 0755);
        files.forEach((path, text) -> extras.textFile(path, text, 0755));
        DefaultImage scripted = image.withExtraFiles(extras, workDir.resolve("initrd-scripted.cpio.gz"))
                .withCmdline(image.cmdline() + " " + InitScript.RUN_PARAMETER + "=" + SCRIPT);
        return new VmConfig(scripted.kernel(), Optional.of(scripted.initrd()), scripted.cmdline(), memoryBytes, 1, accel);
    }

    /** The line {@code /init} prints when the script exits with {@code status}. */
    public static String exitLine(int status) {
        return "jvisor-init: " + SCRIPT + " exited with status " + status;
    }

    /**
     * A udhcpc event script (busybox {@code udhcpc -s}) that configures the interface from the
     * lease: address, default route and resolver. Busybox runs it with the lease in environment
     * variables ({@code ip}, {@code mask}, {@code router}, {@code dns}, {@code interface}).
     */
    public static final String UDHCPC_SCRIPT = """
            #!/bin/sh
            case "$1" in
            deconfig)
            \tip addr flush dev "$interface"
            \tip link set "$interface" up
            \t;;
            bound|renew)
            \tip addr flush dev "$interface"
            \tip addr add "$ip/${mask:-24}" dev "$interface"
            \tfor r in $router; do ip route add default via "$r" dev "$interface"; break; done
            \t: > /etc/resolv.conf
            \tfor d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
            \t;;
            esac
            exit 0
            """;
}
