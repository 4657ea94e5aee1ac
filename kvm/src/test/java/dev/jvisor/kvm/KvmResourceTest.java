package dev.jvisor.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.kvm.KvmTestSupport.TestVm;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.TinyGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Creating, running and closing many VMs returns every fd, mapping and most memory to the host. */
class KvmResourceTest {
    private static final int CYCLES = 200;

    @Test
    void manyVmsComeAndGoWithoutLeaking() throws IOException {
        KvmTestSupport.hypervisor();
        Asm guest = new Asm(16, TinyGuest.REAL_CODE);
        KvmTestSupport.exit(guest, 1);
        byte[] code = guest.assemble();
        cycle(code, 20);   // warm up: classes, JIT, the kick signal handler
        long fds = count("/proc/self/fd");
        long maps = lines("/proc/self/maps");
        long rss = rssKib();
        cycle(code, CYCLES);
        assertThat(count("/proc/self/fd")).as("open file descriptors").isLessThanOrEqualTo(fds + 2);
        assertThat(lines("/proc/self/maps")).as("memory mappings").isLessThanOrEqualTo(maps + 16);
        assertThat(rssKib() - rss).as("RSS growth in KiB after %d VMs", CYCLES).isLessThan(64 * 1024);
    }

    private static void cycle(byte[] code, int times) {
        for (int i = 0; i < times; i++) {
            try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
                TinyGuest.realMode().load(TinyGuest.REAL_CODE, code).build(t.memory()).applyTo(t.vcpu());
                assertThat(KvmTestSupport.runToExit(t)).isEqualTo(1);
            }
        }
    }

    private static long count(String dir) throws IOException {
        try (var s = Files.list(Path.of(dir))) {
            return s.count();
        }
    }

    private static long lines(String file) throws IOException {
        return Files.readAllLines(Path.of(file)).size();
    }

    private static long rssKib() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
