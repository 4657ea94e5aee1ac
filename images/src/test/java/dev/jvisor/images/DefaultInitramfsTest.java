package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class DefaultInitramfsTest {

    static KernelPackage.Extracted kernel() {
        return new KernelPackage.Extracted("6.1.0-56-cloud-amd64", Path.of("vmlinuz"), "", List.of(
                new KernelPackage.ModuleFile("failover", "kernel/net/core/failover.ko", List.of(),
                        TestElf.module("failover")),
                new KernelPackage.ModuleFile("net_failover", "kernel/drivers/net/net_failover.ko",
                        List.of("failover"), TestElf.module("net_failover", "failover")),
                new KernelPackage.ModuleFile("virtio_net", "kernel/drivers/net/virtio_net.ko",
                        List.of("net_failover"), TestElf.module("virtio_net", "net_failover"))),
                List.of(), List.of());
    }

    @Test
    void holdsBusyboxInitTheConsoleNodeAndTheModules() throws IOException {
        byte[] busybox = TestElf.executable();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DefaultInitramfs.create(busybox, kernel()).writeGzip(out);
        List<TestCpio.Entry> entries = TestCpio.readGzip(out.toByteArray());

        TestCpio.Entry init = TestCpio.find(entries, "init");
        assertThat(init.isFile()).isTrue();
        assertThat(init.mode() & 0111).as("executable").isEqualTo(0111);
        assertThat(init.text()).contains("jvisor-init: ready");

        assertThat(TestCpio.find(entries, "bin/busybox").data()).isEqualTo(busybox);
        TestCpio.Entry sh = TestCpio.find(entries, "bin/sh");
        assertThat(sh.isSymlink()).isTrue();
        assertThat(sh.text()).isEqualTo("busybox");

        TestCpio.Entry console = TestCpio.find(entries, "dev/console");
        assertThat(console.isCharDevice()).isTrue();
        assertThat(console.rdevMajor()).isEqualTo(5);
        assertThat(console.rdevMinor()).isEqualTo(1);

        for (String directory : List.of("proc", "sys", "dev", "tmp", "etc", "root", "sbin", "usr/bin", "usr/sbin")) {
            assertThat(TestCpio.find(entries, directory).isDirectory()).as(directory).isTrue();
        }
        assertThat(TestCpio.find(entries, "etc/passwd").text()).startsWith("root:x:0:0:");
        assertThat(TestCpio.find(entries, "etc/hostname").text()).isEqualTo("jvisor\n");

        String root = "lib/modules/6.1.0-56-cloud-amd64/";
        assertThat(TestCpio.find(entries, root + "kernel/drivers/net/virtio_net.ko").data())
                .isEqualTo(TestElf.module("virtio_net", "net_failover"));
        assertThat(TestCpio.find(entries, root + "modules.dep").text()).isEqualTo("""
                kernel/net/core/failover.ko:
                kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
                kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko
                """);
        assertThat(init.text()).contains("load_module /lib/modules/6.1.0-56-cloud-amd64/kernel/net/core/failover.ko"
                + " failover\nload_module /lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/net/net_failover.ko");
    }
}
