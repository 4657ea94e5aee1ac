package dev.jvisor.images;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The kernel modules of a kernel package and their dependencies, and the order in which to load a
 * chosen few with {@code insmod} (which, unlike modprobe, does not resolve dependencies itself).
 *
 * <p>Dependencies come from modules.dep when the package ships one (modules.dep(5)), otherwise from
 * each module's {@code .modinfo depends=} (see {@link ModuleInfo}), as depmod would compute them.
 * Among modules whose dependencies are loaded, the one listed first in modules.order (the kernel's
 * link order, the order they would initialise in if built in) goes first.
 */
public final class ModuleGraph {

    /**
     * One module.
     *
     * @param name    canonical module name
     * @param path    path relative to {@code /lib/modules/<version>/}, e.g.
     *                {@code kernel/drivers/net/virtio_net.ko}
     * @param depends names of the modules it needs
     */
    public record Module(String name, String path, List<String> depends) {
        public Module {
            depends = List.copyOf(depends);
        }
    }

    /**
     * What loading a set of modules takes.
     *
     * @param loadOrder the modules to insmod, dependencies first
     * @param builtIn   requested modules that are compiled into the kernel (nothing to load)
     * @param absent    requested modules that the package neither ships nor builds in
     */
    public record LoadPlan(List<Module> loadOrder, List<String> builtIn, List<String> absent) {
        public LoadPlan {
            loadOrder = List.copyOf(loadOrder);
            builtIn = List.copyOf(builtIn);
            absent = List.copyOf(absent);
        }
    }

    private final Map<String, Module> byName = new LinkedHashMap<>();
    private final Map<String, Integer> linkOrder = new HashMap<>();
    private final Set<String> builtIn;

    /**
     * @param modules    every module of the package
     * @param orderPaths the lines of modules.order (paths like those of {@link Module#path()}); may be empty
     * @param builtIn    names of built-in modules (from modules.builtin); may be empty
     * @throws ImageException when two modules share a name
     */
    public ModuleGraph(Collection<Module> modules, List<String> orderPaths, Set<String> builtIn) throws ImageException {
        for (Module module : modules) {
            Module previous = byName.putIfAbsent(module.name(), module);
            if (previous != null) {
                throw new ImageException("two kernel modules are named " + module.name() + ": " + previous.path()
                        + " and " + module.path());
            }
        }
        for (String path : orderPaths) {
            linkOrder.putIfAbsent(ModuleInfo.nameFromFile(path.strip()), linkOrder.size());
        }
        this.builtIn = Set.copyOf(builtIn);
    }

    /**
     * Reads modules.dep: one line per module, {@code path: dependency-path ...}.
     *
     * @throws ImageException for a malformed line
     */
    public static List<Module> parseModulesDep(String modulesDep) throws ImageException {
        List<Module> modules = new ArrayList<>();
        int lineNumber = 0;
        for (String line : modulesDep.split("\n")) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new ImageException("modules.dep line " + lineNumber + " has no ':': " + line.strip());
            }
            String path = line.substring(0, colon).strip();
            List<String> depends = new ArrayList<>();
            for (String dependency : line.substring(colon + 1).strip().split("\\s+")) {
                if (!dependency.isEmpty()) {
                    depends.add(ModuleInfo.nameFromFile(dependency));
                }
            }
            modules.add(new Module(ModuleInfo.nameFromFile(path), path, depends));
        }
        return modules;
    }

    /** Names of the modules listed in modules.builtin. */
    public static Set<String> parseBuiltin(String modulesBuiltin) {
        Set<String> names = new HashSet<>();
        for (String line : modulesBuiltin.split("\n")) {
            if (!line.isBlank()) {
                names.add(ModuleInfo.nameFromFile(line.strip()));
            }
        }
        return names;
    }

    /** The module with this name, if the package ships it. */
    public Optional<Module> module(String name) {
        return Optional.ofNullable(byName.get(ModuleInfo.canonical(name)));
    }

    /** The number of modules. */
    public int size() {
        return byName.size();
    }

    /**
     * The load order for {@code wanted} and everything they depend on.
     *
     * @throws ImageException when a shipped module needs one that is neither shipped nor built in, or
     *                        dependencies form a cycle
     */
    public LoadPlan plan(List<String> wanted) throws ImageException {
        List<String> builtInWanted = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        Set<String> needed = new LinkedHashSet<>();
        List<String> pending = new ArrayList<>();
        for (String requested : wanted) {
            String name = ModuleInfo.canonical(requested);
            if (byName.containsKey(name)) {
                pending.add(name);
            } else if (builtIn.contains(name)) {
                builtInWanted.add(name);
            } else {
                absent.add(name);
            }
        }
        while (!pending.isEmpty()) {
            String name = pending.removeLast();
            if (!needed.add(name)) {
                continue;
            }
            for (String dependency : byName.get(name).depends()) {
                if (byName.containsKey(dependency)) {
                    pending.add(dependency);
                } else if (!builtIn.contains(dependency)) {
                    throw new ImageException("kernel module " + name + " needs " + dependency
                            + ", which the kernel package neither ships nor builds in");
                }
            }
        }
        return new LoadPlan(topologicalOrder(needed), builtInWanted, absent);
    }

    /** Kahn's algorithm, taking ready modules in link order (then by name, for modules not listed). */
    private List<Module> topologicalOrder(Set<String> needed) throws ImageException {
        Map<String, Integer> waitingOn = new HashMap<>();
        Map<String, List<String>> dependents = new HashMap<>();
        for (String name : needed) {
            int count = 0;
            for (String dependency : byName.get(name).depends()) {
                if (needed.contains(dependency)) {
                    count++;
                    dependents.computeIfAbsent(dependency, d -> new ArrayList<>()).add(name);
                }
            }
            waitingOn.put(name, count);
        }
        Comparator<String> byLinkOrder = Comparator.<String>comparingInt(
                n -> linkOrder.getOrDefault(n, Integer.MAX_VALUE)).thenComparing(Comparator.naturalOrder());
        PriorityQueue<String> ready = new PriorityQueue<>(byLinkOrder);
        waitingOn.forEach((name, count) -> {
            if (count == 0) {
                ready.add(name);
            }
        });
        List<Module> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String name = ready.poll();
            order.add(byName.get(name));
            for (String dependent : dependents.getOrDefault(name, List.of())) {
                if (waitingOn.merge(dependent, -1, Integer::sum) == 0) {
                    ready.add(dependent);
                }
            }
        }
        if (order.size() != needed.size()) {
            List<String> stuck = needed.stream().filter(n -> waitingOn.get(n) > 0).sorted().toList();
            throw new ImageException("kernel module dependencies form a cycle among " + String.join(", ", stuck));
        }
        return order;
    }
}
