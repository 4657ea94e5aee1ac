package dev.jvisor.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ModuleGraphTest {
    /** The virtio modules of linux-image-6.1.0-56-cloud-amd64 with their real depends= fields. */
    static final List<ModuleGraph.Module> VIRTIO = List.of(
            module("virtio", "kernel/drivers/virtio/virtio.ko", "virtio_ring"),
            module("virtio_ring", "kernel/drivers/virtio/virtio_ring.ko"),
            module("virtio_pci_modern_dev", "kernel/drivers/virtio/virtio_pci_modern_dev.ko"),
            module("virtio_pci_legacy_dev", "kernel/drivers/virtio/virtio_pci_legacy_dev.ko"),
            module("virtio_pci", "kernel/drivers/virtio/virtio_pci.ko", "virtio_ring", "virtio_pci_modern_dev",
                    "virtio_pci_legacy_dev", "virtio"),
            module("virtio_blk", "kernel/drivers/block/virtio_blk.ko", "virtio", "virtio_ring"),
            module("virtio_net", "kernel/drivers/net/virtio_net.ko", "virtio_ring", "virtio", "net_failover"),
            module("net_failover", "kernel/drivers/net/net_failover.ko", "failover"),
            module("failover", "kernel/net/core/failover.ko"),
            module("virtio_rng", "kernel/drivers/char/hw_random/virtio-rng.ko", "virtio", "virtio_ring"),
            module("ext4_helper", "kernel/fs/unrelated.ko"));
    /** The relevant lines of its modules.order (link order). */
    static final List<String> ORDER = List.of("kernel/net/core/failover.ko", "kernel/drivers/virtio/virtio.ko",
            "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
            "kernel/drivers/virtio/virtio_pci_legacy_dev.ko", "kernel/drivers/virtio/virtio_pci.ko",
            "kernel/drivers/char/hw_random/virtio-rng.ko", "kernel/drivers/block/virtio_blk.ko",
            "kernel/drivers/net/net_failover.ko", "kernel/drivers/net/virtio_net.ko");

    private static ModuleGraph.Module module(String name, String path, String... depends) {
        return new ModuleGraph.Module(name, path, List.of(depends));
    }

    @Test
    void loadsDependenciesFirstAndOtherwiseInLinkOrder() throws ImageException {
        ModuleGraph graph = new ModuleGraph(VIRTIO, ORDER, Set.of("virtio_console"));
        ModuleGraph.LoadPlan plan = graph.plan(List.of("virtio_net", "virtio_blk", "virtio_pci", "virtio_rng",
                "virtio_console", "virtio_balloon"));
        assertThat(plan.loadOrder()).extracting(ModuleGraph.Module::name).containsExactly("failover",
                "virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci", "virtio_rng",
                "virtio_blk", "net_failover", "virtio_net");
        assertThat(plan.builtIn()).containsExactly("virtio_console");
        assertThat(plan.absent()).containsExactly("virtio_balloon");
    }

    @Test
    void everyModuleComesAfterItsDependencies() throws ImageException {
        ModuleGraph.LoadPlan plan = new ModuleGraph(VIRTIO, List.of(), Set.of()).plan(List.of("virtio_net",
                "virtio-rng", "virtio_pci"));
        List<String> order = plan.loadOrder().stream().map(ModuleGraph.Module::name).toList();
        for (ModuleGraph.Module module : plan.loadOrder()) {
            for (String dependency : module.depends()) {
                assertThat(order.indexOf(dependency)).as("%s before %s", dependency, module.name())
                        .isLessThan(order.indexOf(module.name()));
            }
        }
        assertThat(order).doesNotContain("ext4_helper");
    }

    @Test
    void readsModulesDepAndModulesBuiltin() throws ImageException {
        List<ModuleGraph.Module> modules = ModuleGraph.parseModulesDep("""
                kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko
                kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko
                kernel/net/core/failover.ko:
                """);
        assertThat(modules).extracting(ModuleGraph.Module::name).containsExactly("virtio_net", "net_failover",
                "failover");
        assertThat(modules.getFirst().depends()).containsExactly("net_failover", "failover");
        assertThat(ModuleGraph.parseBuiltin("kernel/drivers/virtio/virtio.ko\nkernel/fs/ext4/ext4.ko\n"))
                .containsExactlyInAnyOrder("virtio", "ext4");
        assertThatThrownBy(() -> ModuleGraph.parseModulesDep("no colon\n"))
                .hasMessageContaining("modules.dep line 1");
    }

    @Test
    void reportsMissingDependenciesCyclesAndDuplicates() throws ImageException {
        ModuleGraph missing = new ModuleGraph(List.of(module("a", "a.ko", "b")), List.of(), Set.of());
        assertThatThrownBy(() -> missing.plan(List.of("a")))
                .hasMessage("kernel module a needs b, which the kernel package neither ships nor builds in");
        assertThat(new ModuleGraph(List.of(module("a", "a.ko", "b")), List.of(), Set.of("b")).plan(List.of("a"))
                .loadOrder()).extracting(ModuleGraph.Module::name).containsExactly("a");

        ModuleGraph cycle = new ModuleGraph(List.of(module("a", "a.ko", "b"), module("b", "b.ko", "a")), List.of(),
                Set.of());
        assertThatThrownBy(() -> cycle.plan(List.of("a"))).hasMessageContaining("cycle among a, b");

        assertThatThrownBy(() -> new ModuleGraph(List.of(module("a", "x/a.ko"), module("a", "y/a.ko")), List.of(),
                Set.of())).hasMessageContaining("two kernel modules are named a");
    }
}
