package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.images.DefaultImage;
import dev.jvisor.io.net.SwitchRegistry;
import dev.jvisor.vmm.bench.ScriptedGuest;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a shell script in the default Debian image on the emulator ({@link ScriptedGuest}) and
 * returns what the console showed once the guest has powered off. The script should print the
 * facts the test checks, one per line.
 */
final class ScriptedLinux {
    /** What the guest printed. */
    record Console(String text) {
        /** The group 1 of the first match of {@code regex} in a line; fails the test if none. */
        String find(String regex) {
            Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
            assertThat(m.find()).as("console has a line matching %s; console:\n%s", regex, tail()).isTrue();
            return m.group(1);
        }

        String tail() {
            return text.substring(Math.max(0, text.length() - 4000));
        }
    }

    private ScriptedLinux() {
    }

    static DefaultImage image() throws Exception {
        return DefaultImage.ensure(DefaultImage.userCacheDirectory(), m -> { });
    }

    /** The configuration that runs {@code script} (plus {@code files}) with 256 MiB of RAM. */
    static VmConfig config(Path workDir, String script, Map<String, String> files) throws Exception {
        return ScriptedGuest.config(image(), workDir, script, new LinkedHashMap<>(files), 256L << 20, VmConfig.Accel.EMU);
    }

    /**
     * Boots {@code config}, lets {@code whileRunning} act on the running VM (may be null), and
     * waits for the power-off; asserts the script exited with status 0.
     */
    static Console run(VmConfig config, long timeoutSeconds, Consumer<GuestConsole> whileRunning) throws Exception {
        GuestConsole console = new GuestConsole();
        ExitReason reason;
        try (EmuHypervisor hv = new EmuHypervisor();
             VirtualMachine vm = MachineBuilder.build(config, hv, console, new SwitchRegistry())) {
            console.attach(vm);
            vm.start();
            if (whileRunning != null) {
                whileRunning.accept(console);
            }
            reason = vm.awaitExit(timeoutSeconds, TimeUnit.SECONDS);
        }
        Console c = new Console(console.all());
        assertThat(reason).as("the guest powered off; console:\n%s", c.tail()).isEqualTo(new ExitReason.PowerOff());
        assertThat(c.text()).as("the script succeeded; console:\n%s", c.tail()).contains(ScriptedGuest.exitLine(0));
        return c;
    }
}
