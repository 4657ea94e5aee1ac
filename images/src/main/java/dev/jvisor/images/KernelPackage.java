package dev.jvisor.images;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import org.tukaani.xz.XZInputStream;

/**
 * Extracts what a guest needs from a Debian {@code linux-image-*} package: the bzImage, its config
 * and the chosen kernel modules with everything they depend on, in load order.
 *
 * <p>Debian's kernel packages ship no modules.dep (depmod creates it when the package is installed),
 * so dependencies are read from each module's {@code .modinfo}. That needs every module's bytes, so
 * the data archive is read twice: once to learn the dependency graph, once to keep the few modules
 * needed (holding all ~100 MB of modules in memory is not an option).
 */
public final class KernelPackage {
    /** {@code [usr/]lib/modules/<version>/<rest>}. */
    private static final Pattern MODULE_TREE = Pattern.compile("(?:usr/)?lib/modules/([^/]+)/(.+)");
    private static final Pattern VMLINUZ = Pattern.compile("boot/vmlinuz-(.+)");
    private static final Pattern CONFIG = Pattern.compile("boot/config-(.+)");
    private static final long MAX_MODULE_BYTES = 64L << 20;

    private KernelPackage() {
    }

    /**
     * One module to put in the initramfs, decompressed.
     *
     * @param name    canonical module name
     * @param path    relative to {@code /lib/modules/<version>/}, always ending in {@code .ko}
     * @param depends names of modules it needs
     * @param content the ELF module bytes
     */
    public record ModuleFile(String name, String path, List<String> depends, byte[] content) {
        public ModuleFile {
            depends = List.copyOf(depends);
        }
    }

    /**
     * What was extracted.
     *
     * @param version     the kernel release ({@code uname -r}), e.g. {@code 6.1.0-56-cloud-amd64}
     * @param kernelImage the bzImage, written to the path the caller gave
     * @param config      the kernel's build configuration text
     * @param modules     the modules to load, dependencies first
     * @param builtIn     requested modules compiled into the kernel
     * @param absent      requested modules this kernel does not have at all
     */
    public record Extracted(String version, Path kernelImage, String config, List<ModuleFile> modules,
                            List<String> builtIn, List<String> absent) {
        public Extracted {
            modules = List.copyOf(modules);
            builtIn = List.copyOf(builtIn);
            absent = List.copyOf(absent);
        }
    }

    /**
     * Extracts the kernel image to {@code kernelImageTarget} and the modules in {@code wantedModules}
     * (those the package has) with their dependencies.
     *
     * @throws ImageException when the package lacks a kernel image, holds several, or its modules are
     *                        malformed or inconsistent
     */
    public static Extracted extract(Path deb, List<String> wantedModules, Path kernelImageTarget)
            throws ImageException {
        String packageName = deb.getFileName().toString();
        Scan scan = new Scan();
        DebPackage.readData(deb, (entry, content) -> scan.visit(packageName, entry, content, kernelImageTarget));
        if (scan.version == null) {
            throw new ImageException(packageName + " contains no boot/vmlinuz-* kernel image");
        }
        checkBzImage(kernelImageTarget, packageName);
        for (String moduleVersion : scan.moduleVersions) {
            if (!moduleVersion.equals(scan.version)) {
                throw new ImageException(packageName + " has modules for " + moduleVersion + " but kernel "
                        + scan.version);
            }
        }
        List<ModuleGraph.Module> modules = scan.modulesDep != null
                ? ModuleGraph.parseModulesDep(scan.modulesDep) : scan.modules;
        ModuleGraph graph = new ModuleGraph(modules, scan.modulesOrder == null ? List.of()
                : List.of(scan.modulesOrder.split("\n")),
                scan.modulesBuiltin == null ? Set.of() : ModuleGraph.parseBuiltin(scan.modulesBuiltin));
        ModuleGraph.LoadPlan plan = graph.plan(wantedModules);

        Set<String> neededPaths = new HashSet<>();
        for (ModuleGraph.Module module : plan.loadOrder()) {
            neededPaths.add(module.path());
        }
        Map<String, byte[]> contents = new HashMap<>();
        if (!plan.loadOrder().isEmpty()) {
            DebPackage.readData(deb, (entry, content) -> {
                Matcher tree = MODULE_TREE.matcher(entry.path());
                if (entry.kind() == DebPackage.Kind.FILE && tree.matches()
                        && neededPaths.contains(tree.group(2))) {
                    contents.put(tree.group(2), readModule(packageName, entry, content));
                }
            });
        }
        List<ModuleFile> files = new ArrayList<>();
        for (ModuleGraph.Module module : plan.loadOrder()) {
            byte[] content = contents.get(module.path());
            if (content == null) {
                throw new ImageException(packageName + ": modules.dep lists " + module.path()
                        + ", which the package does not contain");
            }
            files.add(new ModuleFile(module.name(), uncompressedPath(module.path()), module.depends(), content));
        }
        return new Extracted(scan.version, kernelImageTarget, scan.config == null ? "" : scan.config, files,
                plan.builtIn(), plan.absent());
    }

    /** Accumulates the first pass over the data archive. */
    private static final class Scan {
        String version;
        String config;
        String modulesDep;
        String modulesOrder;
        String modulesBuiltin;
        final Set<String> moduleVersions = new HashSet<>();
        final List<ModuleGraph.Module> modules = new ArrayList<>();

        void visit(String packageName, DebPackage.DataEntry entry, InputStream content, Path kernelImageTarget)
                throws IOException {
            if (entry.kind() != DebPackage.Kind.FILE) {
                return;
            }
            Matcher vmlinuz = VMLINUZ.matcher(entry.path());
            if (vmlinuz.matches()) {
                if (version != null) {
                    throw new ImageException(packageName + " contains two kernel images: vmlinuz-" + version
                            + " and " + entry.path());
                }
                version = vmlinuz.group(1);
                try (OutputStream out = Files.newOutputStream(kernelImageTarget)) {
                    content.transferTo(out);
                }
                return;
            }
            if (CONFIG.matcher(entry.path()).matches()) {
                config = readText(content, entry, packageName);
                return;
            }
            Matcher tree = MODULE_TREE.matcher(entry.path());
            if (!tree.matches()) {
                return;
            }
            moduleVersions.add(tree.group(1));
            String path = tree.group(2);
            switch (path) {
                case "modules.dep" -> modulesDep = readText(content, entry, packageName);
                case "modules.order" -> modulesOrder = readText(content, entry, packageName);
                case "modules.builtin" -> modulesBuiltin = readText(content, entry, packageName);
                default -> {
                    if (isModule(path)) {
                        ModuleInfo info = ModuleInfo.parse(readModule(packageName, entry, content), path);
                        modules.add(new ModuleGraph.Module(info.name(), path, info.depends()));
                    }
                }
            }
        }
    }

    private static boolean isModule(String path) {
        return path.endsWith(".ko") || path.endsWith(".ko.xz") || path.endsWith(".ko.gz") || path.endsWith(".ko.zst");
    }

    private static String uncompressedPath(String path) {
        int ko = path.lastIndexOf(".ko");
        return path.substring(0, ko + 3);
    }

    /** A module's ELF bytes, decompressed when the package compresses modules (CONFIG_MODULE_COMPRESS_*). */
    private static byte[] readModule(String packageName, DebPackage.DataEntry entry, InputStream content)
            throws IOException {
        if (entry.size() > MAX_MODULE_BYTES) {
            throw new ImageException(packageName + ": module " + entry.path() + " is implausibly large");
        }
        byte[] raw = content.readNBytes((int) entry.size());
        String path = entry.path();
        if (path.endsWith(".ko")) {
            return raw;
        }
        if (path.endsWith(".ko.zst")) {
            throw new ImageException(packageName + ": module " + path
                    + " is zstd-compressed, which this reader does not support");
        }
        try (InputStream in = path.endsWith(".xz") ? new XZInputStream(new ByteArrayInputStream(raw))
                : new GZIPInputStream(new ByteArrayInputStream(raw))) {
            byte[] plain = in.readNBytes((int) MAX_MODULE_BYTES + 1);
            if (plain.length > MAX_MODULE_BYTES) {
                throw new ImageException(packageName + ": module " + path + " decompresses to an implausible size");
            }
            return plain;
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageException(packageName + ": cannot decompress module " + path + ": " + e.getMessage(), e);
        }
    }

    private static String readText(InputStream content, DebPackage.DataEntry entry, String packageName)
            throws IOException {
        if (entry.size() > 16L << 20) {
            throw new ImageException(packageName + ": " + entry.path() + " is implausibly large");
        }
        return new String(content.readNBytes((int) entry.size()), StandardCharsets.UTF_8);
    }

    /** Linux Documentation/arch/x86/boot.rst: a bzImage has the "HdrS" magic at offset 0x202. */
    private static void checkBzImage(Path image, String packageName) throws ImageException {
        try (InputStream in = Files.newInputStream(image)) {
            byte[] head = in.readNBytes(0x206);
            if (head.length < 0x206 || head[0x202] != 'H' || head[0x203] != 'd' || head[0x204] != 'r'
                    || head[0x205] != 'S') {
                throw new ImageException(packageName + ": the kernel image is not a bzImage (no HdrS header)");
            }
        } catch (ImageException e) {
            throw e;
        } catch (IOException e) {
            throw new ImageException("cannot read the extracted kernel image " + image + ": " + e.getMessage(), e);
        }
    }
}
