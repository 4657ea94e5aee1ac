package dev.jvisor.cli;

import dev.jvisor.io.disk.CheckResult;
import dev.jvisor.io.disk.DiskFormat;
import dev.jvisor.io.disk.ImageInfo;
import dev.jvisor.io.disk.ImageLockedException;
import dev.jvisor.io.disk.ImageTool;
import dev.jvisor.io.disk.InvalidImageException;
import dev.jvisor.vmm.VmException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvisor image}: create, overlay, describe and check disk images (raw and qcow2) with the
 * same code and locks the VMs use ({@code io}'s {@link ImageTool}).
 */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Create, describe and check disk images (raw and qcow2).",
        subcommands = {ImageCommand.Create.class, ImageCommand.Overlay.class, ImageCommand.Info.class,
                ImageCommand.Check.class})
final class ImageCommand {
    private ImageCommand() {
    }

    /** Runs an image operation, turning its failures into one clear line for the user. */
    @FunctionalInterface
    interface ImageAction {
        Integer run() throws IOException;
    }

    static Integer guarded(Path file, ImageAction action) throws VmException {
        try {
            return action.run();
        } catch (NoSuchFileException e) {
            throw new VmException((e.getFile() != null ? e.getFile() : file) + " does not exist");
        } catch (FileAlreadyExistsException e) {
            throw new VmException((e.getFile() != null ? e.getFile() : file) + " already exists (jvisor never overwrites an image)");
        } catch (AccessDeniedException e) {
            throw new VmException((e.getFile() != null ? e.getFile() : file) + ": permission denied");
        } catch (ImageLockedException | InvalidImageException e) {
            throw new VmException(e.getMessage());
        } catch (IOException e) {
            throw new VmException(file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new VmException(e.getMessage());
        }
    }

    /** The format for a new image: as given, else from the file name (.qcow2, .raw or .img). */
    static DiskFormat formatFor(Path file, String format) throws VmException {
        if (format != null) {
            try {
                return DiskFormat.parse(format);
            } catch (IllegalArgumentException e) {
                throw new VmException(e.getMessage());
            }
        }
        String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
        if (name.endsWith(".qcow2")) {
            return DiskFormat.QCOW2;
        }
        if (name.endsWith(".raw") || name.endsWith(".img")) {
            return DiskFormat.RAW;
        }
        throw new VmException("say --format raw or --format qcow2 (the name " + file.getFileName()
                + " does not end in .qcow2, .raw or .img)");
    }

    /** Bytes in binary units, exact when they are whole: "10 GiB (10737418240 bytes)". */
    static String describeSize(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        String human = bytes + " bytes";
        for (int i = units.length - 1; i >= 0; i--) {
            long unit = 1L << (10 * (i + 1));
            if (bytes >= unit) {
                double v = (double) bytes / unit;
                human = (v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v))
                        + " " + units[i] + " (" + bytes + " bytes)";
                break;
            }
        }
        return human;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create an empty image: a sparse raw file or a qcow2 v3 image with 64 KiB clusters.",
                    "The format comes from --format or the name (.qcow2 → qcow2, .raw/.img → raw).",
                    "An existing file is never overwritten."})
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-f", "--format"}, paramLabel = "raw|qcow2", description = "Image format.")
        String format;

        @Parameters(index = "0", paramLabel = "FILE", description = "The image to create.")
        Path file;

        @Parameters(index = "1", paramLabel = "SIZE", converter = Sizes.class, description = "Virtual disk size, e.g. 10G.")
        long size;

        @Override
        public Integer call() throws VmException {
            DiskFormat fmt = formatFor(file, format);
            return guarded(file, () -> {
                ImageTool.create(file, fmt, size);
                ImageInfo info = ImageTool.info(file);
                spec.commandLine().getOut().println("created " + file + ": " + fmt.id() + ", virtual size "
                        + describeSize(info.virtualSize()));
                return 0;
            });
        }
    }

    @Command(name = "overlay", mixinStandardHelpOptions = true,
            description = {"Create a qcow2 copy-on-write overlay over a base image (raw or qcow2).",
                    "Writes go to the overlay; the base is only read. A relative BASE is stored relative to",
                    "the overlay's directory, so the pair can be moved together."})
    static final class Overlay implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "OVERLAY", description = "The qcow2 overlay to create.")
        Path overlay;

        @Parameters(index = "1", paramLabel = "BASE", description = "The existing base image.")
        Path base;

        @Override
        public Integer call() throws VmException {
            return guarded(base, () -> {
                ImageTool.overlay(overlay, base);
                ImageInfo info = ImageTool.info(overlay);
                spec.commandLine().getOut().println("created " + overlay + ": qcow2 overlay over " + info.backingFile()
                        + " (" + info.backingFormat() + "), virtual size " + describeSize(info.virtualSize()));
                return 0;
            });
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Describe an image (format probed).")
    static final class Info implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The image.")
        Path file;

        @Override
        public Integer call() throws VmException {
            return guarded(file, () -> {
                print(ImageTool.info(file), spec.commandLine().getOut());
                return 0;
            });
        }

        static void print(ImageInfo i, PrintWriter out) {
            out.println("image:        " + i.path());
            out.println("format:       " + i.format().id() + (i.qcowVersion() > 0 ? " (version " + i.qcowVersion() + ")" : ""));
            out.println("virtual size: " + describeSize(i.virtualSize()));
            out.println("file size:    " + describeSize(i.fileSize()));
            if (i.clusterSize() > 0) {
                out.println("cluster size: " + i.clusterSize());
            }
            if (i.backingFile() != null) {
                out.println("backing file: " + i.backingFile()
                        + (i.backingFormat() != null ? " (format " + i.backingFormat() + ")" : " (format probed)"));
            }
            if (i.snapshots() > 0) {
                out.println("snapshots:    " + i.snapshots() + " (internal; jvisor opens such images read-only)");
            }
            if (i.dirty()) {
                out.println("dirty:        yes (lazy refcounts pending; jvisor opens it read-only; 'qemu-img check -r all' repairs)");
            }
            if (i.corrupt()) {
                out.println("corrupt:      yes (marked corrupt; jvisor opens it read-only)");
            }
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Check an image's consistency, as 'qemu-img check' does.",
                    "Exit status: 0 clean, 2 corruptions found, 3 only leaked clusters (wasted space, harmless)."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The image.")
        Path file;

        @Override
        public Integer call() throws VmException {
            return guarded(file, () -> {
                CheckResult r = ImageTool.check(file);
                PrintWriter out = spec.commandLine().getOut();
                for (String p : r.problems()) {
                    out.println(p);
                }
                if (r.clean()) {
                    out.println("no errors were found on " + file);
                } else {
                    out.println(r.corruptions() + " corruption(s) and " + r.leaks() + " leaked cluster(s) found on " + file);
                }
                if (r.totalClusters() > 0) {
                    out.printf(Locale.ROOT, "%d/%d clusters allocated (%.2f%%), %d compressed%n", r.allocatedClusters(),
                            r.totalClusters(), 100.0 * r.allocatedClusters() / r.totalClusters(), r.compressedClusters());
                }
                return r.corruptions() > 0 ? 2 : r.leaks() > 0 ? 3 : 0;
            });
        }
    }
}
