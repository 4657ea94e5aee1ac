package dev.jvisor.machine.boot;

import dev.jvisor.testkit.FuzzInput;
import static dev.jvisor.machine.PlatformLayout.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jvisor.machine.E820Entry;
import dev.jvisor.machine.MemoryMap;
import dev.jvisor.memory.GuestMemory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kernel loading from user-supplied files: bzImage, ELF vmlinux (Linux 64-bit entry and PVH note),
 * Multiboot (ELF and a.out kludge) and unrecognised data, each built valid from fuzzer choices and
 * then mutated, with initrds, Multiboot modules and command lines placed into small guest RAM.
 *
 * <p>The contract: a file either loads or fails with a {@link KernelLoadException} that has a
 * message; no other exception; no write outside usable guest RAM (a successful load writes only
 * the regions it reports, and the firmware areas are never touched either way); no absurd heap
 * allocation whatever a header claims (p_memsz, e_phnum, setup_sects, note sizes); the 64-bit,
 * PVH or Multiboot entry point lies inside the kernel that was loaded.
 *
 * <p>{@link #loadsOrRefuses} is the Jazzer target (it replays its corpus in normal runs;
 * {@code JAZZER_FUZZ=1} fuzzes); {@link #seededSeries} runs the same generator and checks over a
 * fixed seeded series in every build.
 */
class KernelLoaderFuzzTest {
    private static final MemoryMap SMALL = MemoryMap.forRam(MemoryMap.MIN_RAM);
    /** RAM split around the PCI hole, so that high RAM and initrd_addr_max at 4 GiB matter. */
    private static final MemoryMap SPLIT = MemoryMap.forRam(PCI_HOLE_START + 16 * MIB);
    /** Heap a single load may allocate besides copies of the image (a generous bound: it is about absurd sizes). */
    private static final long ALLOCATION_ALLOWANCE = 32 * MIB;
    private static final int SERIES = 6000;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static Path dir;
    private static Path[] files;
    private static GuestMemory smallMemory;
    private static GuestMemory splitMemory;

    @BeforeAll
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("kernel-fuzz");
        files = new Path[]{
            Files.write(dir.resolve("empty"), new byte[0]),
            Files.write(dir.resolve("one"), new byte[]{42}),
            Files.write(dir.resolve("small"), TestImages.pattern(5000, 9)),
            sparse("one-mib", MIB),
            sparse("twelve-mib", 12 * MIB),
            sparse("bigger-than-small-ram", 40 * MIB),
            Files.createDirectory(dir.resolve("a-directory")),
            dir.resolve("missing"),
        };
        smallMemory = GuestMemory.create(SMALL.ramLayouts());
        splitMemory = GuestMemory.create(SPLIT.ramLayouts());
    }

    private static Path sparse(String name, long size) throws IOException {
        Path p = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    @AfterAll
    static void tearDown() throws IOException {
        smallMemory.close();
        splitMemory.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @FuzzTest(maxDuration = "60s")
    void loadsOrRefuses(FuzzedDataProvider data) throws IOException {
        exercise(Scenario.generate(FuzzInput.of(data)));
    }

    @Test
    @Timeout(120) // a hang guard only: the series takes a few seconds
    void seededSeries() throws IOException {
        SplittableRandom random = new SplittableRandom(0x10AD_5EEDL);
        int[] outcomes = new int[2];
        for (int i = 0; i < SERIES; i++) {
            outcomes[exercise(Scenario.generate(FuzzInput.of(random))) ? 0 : 1]++;
        }
        assertThat(outcomes[0]).as("scenarios that load").isGreaterThan(SERIES / 10);
        assertThat(outcomes[1]).as("scenarios refused").isGreaterThan(SERIES / 10);
    }

    // ---- scenarios ----

    /** One load: the image, what comes with it, and the guest it goes into. */
    record Scenario(byte[] image, Optional<Path> initrd, List<BootModule> modules, String cmdline, long rsdp,
                    boolean split, boolean throughFile) {
        static Scenario generate(FuzzInput in) {
            boolean split = in.oneIn(6);
            byte[] image = mutate(in, Images.any(in));
            Optional<Path> initrd = in.bool() ? Optional.empty() : Optional.of(file(in));
            List<BootModule> modules = new ArrayList<>();
            if (in.oneIn(8)) {
                for (int i = in.intIn(1, 3); i > 0; i--) {
                    modules.add(new BootModule(file(in), text(in)));
                }
            }
            long rsdp = in.pick(0, ACPI_TABLES_BASE, 0xF_FFF0L, in.anyLong() & Long.MAX_VALUE);
            return new Scenario(image, initrd, modules, text(in), rsdp, split, in.oneIn(20));
        }

        private static Path file(FuzzInput in) {
            // Mostly the small files: the big ones cost real copying.
            return in.oneIn(5) ? files[in.intIn(0, files.length - 1)] : files[in.intIn(1, 2)];
        }

        private static String text(FuzzInput in) {
            return switch (in.intIn(0, 15)) {
                case 0 -> "";
                case 1 -> "a".repeat((int) CMDLINE_MAX - 1);
                case 2 -> "b".repeat((int) CMDLINE_MAX);
                case 3 -> "with a NUL\0inside";
                case 4 -> "ünïcödé ✓ " + "x".repeat(in.intIn(0, 3000));
                case 5 -> new String(in.bytes(300), StandardCharsets.ISO_8859_1).replace('\0', in.oneIn(4) ? '\0' : ' ');
                default -> "console=ttyS0 root=/dev/vda";
            };
        }

        /** A few byte-level changes, mostly inside the headers. */
        private static byte[] mutate(FuzzInput in, Images.Built built) {
            byte[] b = built.bytes();
            if (b.length == 0) {
                return b;
            }
            // Mostly none or one change, so that most images still get past the first checks.
            int changes = in.oneIn(3) ? 0 : in.oneIn(3) ? in.intIn(2, 8) : 1;
            for (int n = changes; n > 0; n--) {
                int hotStart = Math.min(built.hotStart(), b.length - 1);
                int hotEnd = Math.max(hotStart, Math.min(built.hotEnd(), b.length) - 1);
                int at = in.oneIn(4) ? in.intIn(0, b.length - 1) : in.intIn(hotStart, hotEnd);
                switch (in.intIn(0, 3)) {
                    case 0 -> b[at] = (byte) in.intIn(0, 255);
                    case 1 -> b[at] ^= (byte) (1 << in.intIn(0, 7));
                    case 2 -> put(b, at & ~3, 4, Images.size(in));
                    default -> put(b, at & ~7, 8, in.bool() ? Images.size(in) : Images.address(in));
                }
            }
            if (in.oneIn(20)) {
                b = Arrays.copyOf(b, in.intIn(0, b.length)); // truncated
            }
            return b;
        }

        private static void put(byte[] b, int at, int size, long value) {
            for (int i = 0; i < size && at + i < b.length; i++) {
                b[at + i] = (byte) (value >>> (8 * i));
            }
        }
    }

    /** Valid images of every format, with their fields drawn from the input. */
    static final class Images {
        /** An image and the byte range its headers occupy, where mutations go most of the time. */
        record Built(byte[] bytes, int hotStart, int hotEnd) {
        }

        private Images() {
        }

        static Built any(FuzzInput in) {
            return switch (in.intIn(0, 11)) {
                case 0, 1, 2 -> bzImage(in);
                case 3, 4 -> elf(in, false);
                case 5, 6 -> elf(in, true);
                case 7, 8 -> multibootElf(in);
                case 9, 10 -> multibootAout(in);
                default -> {
                    byte[] raw = in.bytes(0x3000);
                    yield new Built(raw, 0, Math.max(1, raw.length));
                }
            };
        }

        /** Guest physical (and kernel virtual) addresses worth trying in 16 MiB or split RAM. */
        private static final long[] ADDRESSES = {0, 0x1000, ZERO_PAGE, BOOT_INFO, CMDLINE, BOOT_AREA_END,
            EBDA_START - 0x1000, ACPI_TABLES_BASE, MP_TABLE_BASE, HIGH_MEMORY_START, 2 * MIB, 8 * MIB, 15 * MIB,
            16 * MIB - 0x1000, 16 * MIB, PCI_HOLE_START - 0x1000, PCI_HOLE_START, HIGH_RAM_START, HIGH_RAM_START + MIB,
            0xFFFF_F000L, 0xFFFF_FFFF_8100_0000L};
        /** Sizes and lengths worth trying. */
        private static final long[] SIZES = {0, 1, 0x1F, 0x200, 0x1000, 0x1001, MIB, 8 * MIB, 15 * MIB, 16 * MIB,
            0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, 0x1_0000_0000L, Long.MAX_VALUE, -1};

        static long address(FuzzInput in) {
            int k = in.intIn(0, ADDRESSES.length + 2);
            if (k < ADDRESSES.length) {
                return ADDRESSES[k];
            }
            return switch (k - ADDRESSES.length) {
                case 0 -> in.anyLong();
                case 1 -> in.anyLong() & 0xFFFF_FFFFL;
                default -> in.intIn(0, 16 << 20);
            };
        }

        static long size(FuzzInput in) {
            int k = in.intIn(0, SIZES.length + 1);
            if (k < SIZES.length) {
                return SIZES[k];
            }
            return k == SIZES.length ? in.anyLong() : in.intIn(0, 0x10000);
        }

        static Built bzImage(FuzzInput in) {
            TestImages.BzImage bz = new TestImages.BzImage();
            bz.version = in.oneIn(8) ? (int) in.pick(0x0200, 0x020B, 0xFFFF, in.intIn(0, 0xFFFF))
                    : (int) in.pick(0x020C, 0x020D, 0x020E, 0x020F, 0x0210);
            // 0 means 4 (boot.rst); the builder needs the real count to lay the file out.
            int setupSects = in.oneIn(6) ? in.intIn(0, 255) : (int) in.pick(1, 4, 4, 15, 0);
            bz.setupSectors = setupSects == 0 ? 4 : setupSects;
            bz.loadFlags = in.oneIn(8) ? in.intIn(0, 255) : BzImageHeader.LOADED_HIGH;
            bz.xloadFlags = in.oneIn(8) ? in.intIn(0, 0xFFFF)
                    : BzImageHeader.XLF_KERNEL_64 | (in.bool() ? BzImageHeader.XLF_CAN_BE_LOADED_ABOVE_4G : 0);
            bz.relocatable = !in.oneIn(4);
            bz.kernelAlignment = in.oneIn(8) ? in.pick(0, 3, 0x8000_0000L, in.intIn(0, 1 << 30))
                    : in.pick(0x20_0000, 0x1000, 0x20_0000, 0x100_0000);
            bz.prefAddress = in.oneIn(5) ? address(in) : in.pick(0x20_0000, 0x40_0000, 0x100_0000);
            bz.initSize = in.oneIn(5) ? size(in) : in.pick(0x10_0000, 0x40_0000, 0x80_0000);
            bz.cmdlineSize = in.oneIn(6) ? in.pick(0, 1, 0xFFFF_FFFFL, in.intIn(0, 0x20000)) : in.pick(255, 2047, 0xFFFF);
            bz.initrdAddrMax = in.oneIn(6) ? in.pick(0, 0xFFF, 16 * MIB, 0xFFFF_FFFFL, in.anyLong()) : 0x7FFF_FFFF;
            int code = in.oneIn(6) ? (int) in.pick(0, 1, 0x1FF, 0x200, 0x201, in.intIn(0, 0x4000)) : (int) in.pick(0x1000, 0x3000);
            bz.protectedMode = TestImages.pattern(code, 3);
            if (in.oneIn(8)) {
                bz.sysSizeOverride = (int) size(in);
            }
            byte[] bytes = bz.build();
            bytes[BzImageHeader.SETUP_SECTS] = (byte) setupSects;
            return new Built(bytes, BzImageHeader.HEADER_START, 0x290);
        }

        static Built elf(FuzzInput in, boolean pvh) {
            TestImages.Elf elf = new TestImages.Elf();
            elf.is64 = !in.oneIn(pvh ? 3 : 10);
            elf.machine = in.oneIn(10) ? in.intIn(0, 0xFFFF) : elf.is64 ? ElfImage.EM_X86_64 : ElfImage.EM_386;
            boolean highHalf = elf.is64 && in.bool();
            int count = in.oneIn(10) ? in.intIn(0, 5) : in.intIn(1, 2);
            long next = in.oneIn(6) ? address(in) : in.pick(0x20_0000, 0x40_0000, 0x80_0000);
            for (int i = 0; i < count; i++) {
                int length = in.oneIn(6) ? (int) in.pick(0, 0x2000, in.intIn(0, 0x2000)) : (int) in.pick(0x40, 0x100, 0x1000);
                long memSize = in.oneIn(8) ? size(in) : length + in.pick(0, 0x1000, 0x10_0000);
                long paddr = in.oneIn(8) ? address(in) : next;
                long vaddr = highHalf ? paddr + 0xFFFF_FFFF_8000_0000L - 0x100_0000 : paddr;
                if (!elf.is64) {
                    paddr &= 0xFFFF_FFFFL;
                    vaddr &= 0xFFFF_FFFFL;
                    memSize &= 0xFFFF_FFFFL;
                }
                elf.segments.add(new TestImages.Segment(vaddr, paddr, TestImages.pattern(length, i), memSize));
                next = (paddr + Math.max(memSize, 0) + 0xFFF) & ~0xFFFL;
            }
            TestImages.Segment first = elf.segments.isEmpty() ? null : elf.segments.getFirst();
            long entryBase = first == null ? 0x100_0000 : first.vaddr();
            elf.entry = in.oneIn(8) ? address(in) : entryBase + in.pick(0, 0x10, 0x3F);
            if (pvh) {
                long physical = first == null ? 0x100_0000 : first.paddr();
                long entry = in.oneIn(8) ? address(in) : physical + in.pick(0, 0x10);
                int width = in.oneIn(8) ? (int) in.pick(0, 2, 16) : (int) in.pick(4, 8);
                byte[] desc = ByteBuffer.allocate(Math.max(width, 8)).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, entry).array();
                elf.notes.add(new TestImages.Note(in.oneIn(8) ? "Xen\0\0" : "Xen",
                        in.oneIn(10) ? in.intIn(0, 40) : ElfLoader.XEN_ELFNOTE_PHYS32_ENTRY, Arrays.copyOf(desc, width)));
            }
            if (in.oneIn(5)) {
                elf.notes.add(new TestImages.Note(in.bool() ? "GNU" : "Linux", in.intIn(0, 10), in.bytes(40)));
            }
            byte[] bytes = elf.build();
            int headers = elf.is64 ? 64 + 56 * (count + 1) : 52 + 32 * (count + 1);
            // The notes are at the end of the file: make them as hot as the headers some of the time.
            return in.oneIn(4) ? new Built(bytes, Math.max(0, bytes.length - 64), bytes.length)
                    : new Built(bytes, 0, Math.min(headers, bytes.length));
        }

        static Built multibootElf(FuzzInput in) {
            TestImages.Elf elf = new TestImages.Elf();
            elf.is64 = in.oneIn(4);
            elf.machine = in.oneIn(10) ? in.intIn(0, 0xFFFF) : elf.is64 ? ElfImage.EM_X86_64 : ElfImage.EM_386;
            long base = in.oneIn(6) ? address(in) & 0xFFFF_FFFFL : in.pick(HIGH_MEMORY_START, 0x20_0000);
            int flags = in.oneIn(8) ? in.intIn(0, 0xFFFF) | (in.bool() ? 0 : in.intIn(0, 0xFFFF) << 16)
                    : (int) in.pick(0, 1, 2, 3, 7);
            byte[] header = TestImages.multibootHeader(flags & ~MultibootHeader.FLAG_AOUT_KLUDGE, 0, 0, 0, 0, 0);
            if (in.oneIn(12)) {
                header[8] ^= 1; // bad checksum
            }
            long memSize = in.oneIn(8) ? Images.size(in) & 0xFFFF_FFFFL : 0x2000;
            elf.segments.add(TestImages.Segment.at(base, TestImages.concat(header, TestImages.pattern(64, 5)),
                    Math.max(memSize, in.oneIn(8) ? 0 : 76)));
            if (in.oneIn(4)) {
                elf.segments.add(TestImages.Segment.at(in.oneIn(4) ? address(in) & 0xFFFF_FFFFL : base + 0x10_0000,
                        TestImages.pattern(32, 6), 0x1000));
            }
            elf.entry = in.oneIn(8) ? address(in) : base + in.pick(0, 12, 0x40);
            byte[] bytes = elf.build();
            return new Built(bytes, 0, Math.min(bytes.length, 0x100));
        }

        static Built multibootAout(FuzzInput in) {
            int offset = in.oneIn(6) ? (int) in.pick(8160, 8164, 8188, in.intIn(0, 2100) * 4) : (int) in.pick(0, 4, 0x40, 0x1000);
            long base = in.oneIn(6) ? address(in) & 0xFFFF_FFFFL : in.pick(0x20_0000, HIGH_MEMORY_START);
            long headerAddr = in.oneIn(8) ? address(in) & 0xFFFF_FFFFL : base + offset;
            int body = in.oneIn(6) ? (int) in.pick(0, 12, in.intIn(0, 0x3000)) : (int) in.pick(128, 0x1000);
            long fileEnd = base + offset + 32 + body;
            long loadEnd = in.oneIn(6) ? in.pick(fileEnd + 1, base, address(in) & 0xFFFF_FFFFL) : in.pick(0, fileEnd, fileEnd - 1);
            long bssEnd = in.oneIn(6) ? in.pick(fileEnd - 16, size(in) & 0xFFFF_FFFFL) : in.pick(0, fileEnd + 0x4000, fileEnd);
            long entry = in.oneIn(8) ? address(in) & 0xFFFF_FFFFL : base + offset + in.pick(0, 32, 40);
            int flags = MultibootHeader.FLAG_AOUT_KLUDGE
                    | (in.oneIn(8) ? in.intIn(0, 0xFFFF) : (int) in.pick(0, 1, 2, 3, 4));
            byte[] header = TestImages.multibootHeader(flags, headerAddr, base, loadEnd, bssEnd, entry);
            byte[] bytes = TestImages.concat(new byte[offset], header, TestImages.pattern(body, 4));
            // The address fields, mostly: a changed magic, flags or checksum only hides the header.
            return in.oneIn(4) ? new Built(bytes, offset, offset + 32) : new Built(bytes, offset + 12, offset + 32);
        }
    }

    // ---- the property ----

    /** Loads the scenario and checks the contract; returns whether it loaded. */
    static boolean exercise(Scenario s) throws IOException {
        MemoryMap map = s.split() ? SPLIT : SMALL;
        GuestMemory memory = s.split() ? splitMemory : smallMemory;
        byte[] sentinel = new byte[(int) (HIGH_MEMORY_START - EBDA_START)];
        Arrays.fill(sentinel, (byte) 0xA5);
        memory.write(EBDA_START, sentinel);
        List<long[]> writes = new ArrayList<>();
        memory.setWriteObserver((gpa, length) -> writes.add(new long[]{gpa, length}));
        BootOptions options = new BootOptions(s.rsdp(), s.modules());
        Path kernelFile = null;
        if (s.throughFile()) {
            kernelFile = Files.write(dir.resolve("kernel"), s.image());
        }
        long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
        try {
            BootSetup setup = kernelFile != null
                    ? KernelLoader.load(kernelFile, s.initrd(), s.cmdline(), memory, map, options)
                    : KernelLoader.load(s.image(), s.initrd(), s.cmdline(), memory, map, options);
            checkAllocation(allocatedBefore, s);
            checkLoaded(setup, map, memory, writes);
            checkFilesPlaced(setup, s, memory);
            return true;
        } catch (KernelLoadException e) {
            checkAllocation(allocatedBefore, s);
            assertThat(e.getMessage()).as("refusal message").isNotBlank();
            for (long[] w : writes) {
                assertThat(map.isUsable(w[0], w[1])).as("write [0x%x,+0x%x) before the refusal \"%s\" is in usable RAM",
                        w[0], w[1], e.getMessage()).isTrue();
            }
            return false;
        } finally {
            memory.setWriteObserver(null);
            assertThat(Arrays.equals(memory.read(EBDA_START, sentinel.length), sentinel))
                    .as("the EBDA, ACPI and MP table areas are untouched").isTrue();
        }
    }

    /** The initrd and modules in guest RAM hold their files' bytes (module 0 is the initrd when there is one). */
    private static void checkFilesPlaced(BootSetup setup, Scenario s, GuestMemory memory) throws IOException {
        List<Path> loaded = new ArrayList<>();
        s.initrd().ifPresent(loaded::add);
        s.modules().forEach(m -> loaded.add(m.path()));
        for (LoadedRegion r : setup.regions()) {
            Path file = null;
            if (r.what().equals("initrd")) {
                file = s.initrd().orElseThrow();
            } else if (r.what().startsWith("module ")) {
                file = loaded.get(Integer.parseInt(r.what().substring("module ".length())));
            }
            if (file != null) {
                assertThat(r.size()).as("%s size", r).isEqualTo(Files.size(file));
                if (r.size() <= MIB) {
                    assertThat(memory.read(r.address(), (int) r.size())).as("%s content", r)
                            .isEqualTo(Files.readAllBytes(file));
                }
            }
        }
    }

    private static void checkAllocation(long before, Scenario s) {
        if (s.throughFile()) {
            // Loads from a file read at most guest-RAM-sized files (KernelLoaderTest), and under the
            // Jazzer agent their first runs allocate hundreds of MB in lazy initialisation.
            return;
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("heap allocated by one load").isLessThan(ALLOCATION_ALLOWANCE + 4L * s.image().length);
    }

    private static void checkLoaded(BootSetup setup, MemoryMap map, GuestMemory memory, List<long[]> writes) {
        List<LoadedRegion> regions = setup.regions();
        for (int i = 0; i < regions.size(); i++) {
            LoadedRegion r = regions.get(i);
            assertThat(map.isUsable(r.address(), r.size()) && memory.isRam(r.address(), r.size()))
                    .as("%s is usable RAM", r).isTrue();
            for (int j = 0; j < i; j++) {
                assertThat(r.overlaps(regions.get(j).address(), regions.get(j).size()))
                        .as("%s overlaps %s", r, regions.get(j)).isFalse();
            }
        }
        for (long[] w : writes) {
            assertThat(regions.stream().anyMatch(r -> r.address() <= w[0] && w[0] + w[1] <= r.end()))
                    .as("write [0x%x,+0x%x) lies in a reported region of %s", w[0], w[1], regions).isTrue();
        }
        long entry = setup.entryPoint();
        assertThat(setup.registers().rip()).isEqualTo(entry);
        assertThat(regions.stream().anyMatch(r -> r.what().startsWith("kernel") && r.address() <= entry && entry < r.end()))
                .as("entry 0x%x lies in the loaded kernel %s", entry, regions).isTrue();
        switch (setup.format()) {
            case BZIMAGE, ELF_LINUX64 -> {
                assertThat(setup.registers().rsi()).isEqualTo(ZERO_PAGE);
                // boot.rst, 64-bit protocol: the kernel's range must be identity mapped, and the boot
                // page tables map the first 4 GiB.
                for (LoadedRegion r : regions) {
                    assertThat(r.end()).as("%s is identity mapped for a long-mode entry", r).isLessThanOrEqualTo(HIGH_RAM_START);
                }
            }
            case ELF_PVH, MULTIBOOT_AOUT, MULTIBOOT_ELF -> {
                assertThat(setup.registers().rbx()).isEqualTo(BOOT_INFO);
                assertThat(entry).isLessThan(HIGH_RAM_START);
            }
        }
        for (E820Entry e : map.e820()) {
            assertThat(e.size()).isPositive();
        }
    }
}
