package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelPackageTest {
    static final String VERSION = "6.1.0-99-cloud-amd64";
    static final String MODULES = "./lib/modules/" + VERSION + "/";

    @TempDir
    Path temp;

    /** A small stand-in for a linux-image package: real layout, fake kernel, tiny ELF modules. */
    static Map<String, byte[]> kernelPackageFiles() throws IOException {
        return kernelPackageFiles(VERSION);
    }

    /** The same for another kernel release. */
    static Map<String, byte[]> kernelPackageFiles(String version) throws IOException {
        String modules = "./lib/modules/" + version + "/";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("./boot/", new byte[0]);
        files.put("./boot/System.map-" + version, "ffffffff81000000 T _text\n".getBytes(StandardCharsets.US_ASCII));
        files.put("./boot/config-" + version, "CONFIG_VIRTIO=m\nCONFIG_VIRTIO_CONSOLE=y\n"
                .getBytes(StandardCharsets.US_ASCII));
        files.put("./boot/vmlinuz-" + version, TestElf.bzImage(8192));
        files.put(modules + "kernel/drivers/virtio/virtio.ko", TestElf.module("virtio", "virtio_ring"));
        files.put(modules + "kernel/drivers/virtio/virtio_ring.ko", TestElf.module("virtio_ring"));
        files.put(modules + "kernel/drivers/net/virtio_net.ko",
                TestElf.module("virtio_net", "virtio_ring", "virtio", "net_failover"));
        files.put(modules + "kernel/drivers/net/net_failover.ko", TestElf.module("net_failover", "failover"));
        files.put(modules + "kernel/net/core/failover.ko", TestElf.module("failover"));
        files.put(modules + "kernel/drivers/block/virtio_blk.ko.xz",
                TestDebs.compress(TestElf.module("virtio_blk", "virtio", "virtio_ring"), "xz"));
        files.put(modules + "kernel/fs/unrelated.ko", TestElf.module("unrelated"));
        files.put(modules + "modules.order", """
                kernel/net/core/failover.ko
                kernel/drivers/virtio/virtio.ko
                kernel/drivers/virtio/virtio_ring.ko
                kernel/drivers/block/virtio_blk.ko
                kernel/drivers/net/net_failover.ko
                kernel/drivers/net/virtio_net.ko
                """.getBytes(StandardCharsets.US_ASCII));
        files.put(modules + "modules.builtin", "kernel/drivers/char/virtio_console.ko\n"
                .getBytes(StandardCharsets.US_ASCII));
        return files;
    }

    private Path deb(Map<String, byte[]> files) throws IOException {
        Path deb = temp.resolve("linux-image.deb");
        Files.write(deb, TestDebs.deb(files, "xz"));
        return deb;
    }

    @Test
    void extractsTheKernelAndTheWantedModulesInLoadOrder() throws IOException {
        Path image = temp.resolve("vmlinuz");
        KernelPackage.Extracted kernel = KernelPackage.extract(deb(kernelPackageFiles()),
                List.of("virtio_net", "virtio_blk", "virtio_console", "virtio_balloon"), image);
        assertThat(kernel.version()).isEqualTo(VERSION);
        assertThat(kernel.kernelImage()).isEqualTo(image);
        assertThat(Files.readAllBytes(image)).isEqualTo(TestElf.bzImage(8192));
        assertThat(kernel.config()).contains("CONFIG_VIRTIO=m");
        assertThat(kernel.modules()).extracting(KernelPackage.ModuleFile::name)
                .containsExactly("failover", "virtio_ring", "virtio", "virtio_blk", "net_failover", "virtio_net");
        assertThat(kernel.modules()).extracting(KernelPackage.ModuleFile::path)
                .contains("kernel/drivers/block/virtio_blk.ko", "kernel/drivers/net/virtio_net.ko");
        KernelPackage.ModuleFile blk = kernel.modules().get(3);
        assertThat(blk.content()).as("decompressed from .ko.xz")
                .isEqualTo(TestElf.module("virtio_blk", "virtio", "virtio_ring"));
        assertThat(blk.depends()).containsExactly("virtio", "virtio_ring");
        assertThat(kernel.builtIn()).containsExactly("virtio_console");
        assertThat(kernel.absent()).containsExactly("virtio_balloon");
    }

    @Test
    void usesModulesDepWhenThePackageShipsIt() throws IOException {
        Map<String, byte[]> files = kernelPackageFiles();
        // modules.dep says virtio_net needs only failover (unlike its .modinfo): modules.dep wins.
        files.put(MODULES + "modules.dep", """
                kernel/drivers/net/virtio_net.ko: kernel/net/core/failover.ko
                kernel/net/core/failover.ko:
                """.getBytes(StandardCharsets.US_ASCII));
        KernelPackage.Extracted kernel = KernelPackage.extract(deb(files), List.of("virtio_net"),
                temp.resolve("vmlinuz"));
        assertThat(kernel.modules()).extracting(KernelPackage.ModuleFile::name)
                .containsExactly("failover", "virtio_net");

        files.put(MODULES + "modules.dep", "kernel/drivers/net/ghost.ko:\n".getBytes(StandardCharsets.US_ASCII));
        Path ghost = deb(files);
        assertThatThrownBy(() -> KernelPackage.extract(ghost, List.of("ghost"), temp.resolve("vmlinuz2")))
                .hasMessageContaining("modules.dep lists kernel/drivers/net/ghost.ko, which the package does not"
                        + " contain");
    }

    @Test
    void reportsBrokenKernelPackages() throws IOException {
        Map<String, byte[]> noKernel = kernelPackageFiles();
        noKernel.remove("./boot/vmlinuz-" + VERSION);
        Path a = deb(noKernel);
        assertThatThrownBy(() -> KernelPackage.extract(a, List.of(), temp.resolve("k1")))
                .hasMessage("linux-image.deb contains no boot/vmlinuz-* kernel image");

        Map<String, byte[]> notBzImage = kernelPackageFiles();
        notBzImage.put("./boot/vmlinuz-" + VERSION, new byte[4096]);
        Path b = deb(notBzImage);
        assertThatThrownBy(() -> KernelPackage.extract(b, List.of(), temp.resolve("k2")))
                .hasMessageContaining("not a bzImage");

        Map<String, byte[]> twoKernels = kernelPackageFiles();
        twoKernels.put("./boot/vmlinuz-6.1.0-98-cloud-amd64", TestElf.bzImage(1024));
        Path c = deb(twoKernels);
        assertThatThrownBy(() -> KernelPackage.extract(c, List.of(), temp.resolve("k3")))
                .hasMessageContaining("contains two kernel images");

        Map<String, byte[]> otherModules = kernelPackageFiles();
        otherModules.put("./lib/modules/5.10.0-1-amd64/kernel/x.ko", TestElf.module("x"));
        Path d = deb(otherModules);
        assertThatThrownBy(() -> KernelPackage.extract(d, List.of(), temp.resolve("k4")))
                .hasMessageContaining("has modules for 5.10.0-1-amd64 but kernel " + VERSION);

        Map<String, byte[]> corruptModule = kernelPackageFiles();
        corruptModule.put(MODULES + "kernel/drivers/virtio/virtio.ko", new byte[80]);
        Path e = deb(corruptModule);
        assertThatThrownBy(() -> KernelPackage.extract(e, List.of("virtio"), temp.resolve("k5")))
                .hasMessageContaining("kernel/drivers/virtio/virtio.ko is not an ELF file");
    }

    @Test
    void acceptsMergedUsrModuleTrees() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("./boot/vmlinuz-" + VERSION, TestElf.bzImage(1024));
        files.put("./usr/lib/modules/" + VERSION + "/kernel/drivers/virtio/virtio_ring.ko",
                TestElf.module("virtio_ring"));
        KernelPackage.Extracted kernel = KernelPackage.extract(deb(files), List.of("virtio_ring"),
                temp.resolve("vmlinuz"));
        assertThat(kernel.modules()).singleElement().extracting(KernelPackage.ModuleFile::path)
                .isEqualTo("kernel/drivers/virtio/virtio_ring.ko");
    }
}
