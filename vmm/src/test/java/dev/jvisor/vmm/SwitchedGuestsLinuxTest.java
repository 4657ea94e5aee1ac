package dev.jvisor.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.emu.EmuHypervisor;
import dev.jvisor.io.net.SwitchRegistry;
import dev.jvisor.vmm.bench.ScriptedGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Linux guests in one process on one virtual switch ({@code --net switch=lab} in both): they
 * ping each other and pass a message over TCP. The switch learns both MACs; each port is pinned to
 * its guest's generated MAC.
 */
@Tag("slow")
class SwitchedGuestsLinuxTest {
    @TempDir
    Path dir;

    private static String script(String self, String peer, boolean listener) {
        String common = """
                set -e
                ip link set lo up
                ip link set eth0 up
                ip addr add %s/24 dev eth0
                echo "MAC $(cat /sys/class/net/eth0/address)"
                """.formatted(self);
        if (listener) {
            return common + """
                    nc -l -p 7000 > /tmp/message &
                    ping -c 2 -W 30 %s > /dev/null
                    echo "PING ok"
                    wait $!
                    echo "MESSAGE $(cat /tmp/message)"
                    """.formatted(peer);
        }
        return common + """
                ping -c 3 -W 30 %s > /tmp/ping
                echo "PING $(grep -o '[0-9]* packets received' /tmp/ping)"
                sleep 1
                echo "greetings from %s" | nc %s 7000
                echo "SENT"
                """.formatted(peer, self, peer);
    }

    @Test
    void twoGuestsOnOneSwitchPingEachOtherAndTalkTcp() throws Exception {
        SwitchRegistry switches = new SwitchRegistry();
        Path a = Files.createDirectories(dir.resolve("a")), b = Files.createDirectories(dir.resolve("b"));
        VmConfig configA = ScriptedLinux.config(a, script("192.168.50.1", "192.168.50.2", true), Map.of())
                .withNets(List.of(NetConfig.parse("switch=lab,mac=02:00:00:00:00:0a")));
        VmConfig configB = ScriptedLinux.config(b, script("192.168.50.2", "192.168.50.1", false), Map.of())
                .withNets(List.of(NetConfig.parse("switch=lab,mac=02:00:00:00:00:0b")));
        GuestConsole consoleA = new GuestConsole(), consoleB = new GuestConsole();
        ExitReason exitA, exitB;
        try (EmuHypervisor hv = new EmuHypervisor();
             VirtualMachine vmA = MachineBuilder.build(configA, hv, consoleA, switches);
             VirtualMachine vmB = MachineBuilder.build(configB, hv, consoleB, switches)) {
            assertThat(switches.getOrCreate("lab").ports()).hasSize(2);
            vmA.start();
            vmB.start();
            exitB = vmB.awaitExit(240, TimeUnit.SECONDS);
            exitA = vmA.awaitExit(60, TimeUnit.SECONDS);
        }
        ScriptedLinux.Console a1 = new ScriptedLinux.Console(consoleA.all());
        ScriptedLinux.Console b1 = new ScriptedLinux.Console(consoleB.all());
        String both = "guest A:\n" + a1.tail() + "\nguest B:\n" + b1.tail();
        System.out.println(both);
        assertThat(exitB).as(both).isEqualTo(new ExitReason.PowerOff());
        assertThat(exitA).as(both).isEqualTo(new ExitReason.PowerOff());
        assertThat(a1.text()).as(a1.tail()).contains(ScriptedGuest.exitLine(0));
        assertThat(b1.text()).as(b1.tail()).contains(ScriptedGuest.exitLine(0));
        assertThat(a1.find("^MAC (\\S+)")).isEqualTo("02:00:00:00:00:0a");
        assertThat(b1.find("^PING (.*)")).isEqualTo("3 packets received");
        assertThat(a1.find("^PING (\\w+)")).isEqualTo("ok");
        assertThat(a1.find("^MESSAGE (.*)")).isEqualTo("greetings from 192.168.50.2");
    }
}
