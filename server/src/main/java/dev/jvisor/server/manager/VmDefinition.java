package dev.jvisor.server.manager;

import dev.jvisor.io.ratelimit.TokenBucketConfig;
import dev.jvisor.machine.PlatformLayout;
import dev.jvisor.server.sched.CpuSet;
import dev.jvisor.server.sched.CpuShare;
import dev.jvisor.vmm.DriveConfig;
import dev.jvisor.vmm.NetConfig;
import dev.jvisor.vmm.RateLimitConfig;
import dev.jvisor.vmm.VmConfig;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a VM is, as the API's create request gives it and as the daemon keeps it on disk (JSON,
 * snake_case). Optional fields may be null in a request; {@link #normalized()} fills the defaults
 * and checks every field, so a stored definition is always complete and valid.
 *
 * @param name       1-64 characters: letters, digits, '.', '_', '-'; starts with a letter or digit
 * @param memoryMib  guest RAM in MiB (default 256)
 * @param vcpus      vCPU count (default 1)
 * @param kernel     absolute path of the kernel (bzImage, ELF vmlinux or Multiboot)
 * @param initrd     absolute path of an initrd, or null
 * @param cmdline    kernel command line (default empty)
 * @param accel      {@code auto}, {@code kvm} or {@code emu} (default auto)
 * @param drives     {@code --drive} texts ({@code file=/abs/path[,format=..][,readonly=on][,rate=..]})
 * @param nets       {@code --net} texts ({@code switch=NAME}, {@code user[,hostfwd=..]}, {@code tap[=IF]})
 * @param rng        whether the VM has a virtio-rng (default true)
 * @param cpuWeight  fair-share weight 1-10000 (default 100)
 * @param cpuCap     cap in percent of one host CPU, 0 for none (default 0)
 * @param cpuset     host CPUs the vCPUs may run on, as a CPU list ({@code 0}, {@code 0-1}, {@code 1,3});
 *                   null (or {@code all} in a request) for any CPU; stored in canonical form
 * @param prefault   touch all guest memory at start instead of on first use (default false)
 * @param ioLimits   rate limits set through the API, overriding the drive's or interface's own,
 *                   keyed {@code driveN} / {@code netN}
 */
public record VmDefinition(String name, Integer memoryMib, Integer vcpus, String kernel, String initrd,
                           String cmdline, String accel, List<String> drives, List<String> nets, Boolean rng,
                           Integer cpuWeight, Integer cpuCap, String cpuset, Boolean prefault,
                           Map<String, IoLimit> ioLimits) {
    /** The cpuset value that removes pinning (in a create or limits request). */
    public static final String ALL_CPUS = "all";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern IO_KEY = Pattern.compile("(drive|net)(\\d{1,3})");
    static final int MAX_DEVICES = 16;

    /** A rate limit given as in {@code --drive ...,rate=..,burst=..} (both null: unlimited). */
    public record IoLimit(String rate, String burst) {
        /** Parses the limit, saying what is wrong. */
        public RateLimitConfig parse() throws ServiceException {
            try {
                return RateLimitConfig.parse(rate, burst);
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        }
    }

    /** The definition with defaults filled in and every field checked (files must exist). */
    public VmDefinition normalized() throws ServiceException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw invalid("name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
                    + (name == null ? "" : ", not '" + name + "'"));
        }
        int mem = memoryMib == null ? 256 : memoryMib;
        if (mem < 1 || mem > (1 << 20)) {
            throw invalid("memory_mib must be between 1 and 1048576, got " + mem);
        }
        int cpus = vcpus == null ? 1 : vcpus;
        if (cpus < 1 || cpus > PlatformLayout.MAX_VCPUS) {
            throw invalid("vcpus must be between 1 and " + PlatformLayout.MAX_VCPUS + ", got " + cpus);
        }
        if (kernel == null) {
            throw invalid("kernel is required (an absolute path on the daemon's host)");
        }
        existingFile("kernel", kernel);
        if (initrd != null) {
            existingFile("initrd", initrd);
        }
        String cl = cmdline == null ? "" : cmdline;
        if (cl.length() > 4096) {
            throw invalid("cmdline is longer than 4096 characters");
        }
        String acc = accel == null ? "auto" : accel;
        try {
            VmConfig.Accel.parse(acc);
        } catch (IllegalArgumentException e) {
            throw invalid("accel must be auto, kvm or emu, not '" + acc + "'");
        }
        List<String> d = drives == null ? List.of() : List.copyOf(drives);
        List<String> n = nets == null ? List.of() : List.copyOf(nets);
        if (d.size() > MAX_DEVICES || n.size() > MAX_DEVICES) {
            throw invalid("at most " + MAX_DEVICES + " drives and " + MAX_DEVICES + " network interfaces");
        }
        for (String text : d) {
            DriveConfig dc = parseDrive(text);
            if (!dc.file().isAbsolute()) {
                throw invalid("drive file " + dc.file() + " must be an absolute path");
            }
        }
        for (String text : n) {
            parseNet(text);
        }
        int weight = cpuWeight == null ? CpuShare.DEFAULT_WEIGHT : cpuWeight;
        int cap = cpuCap == null ? 0 : cpuCap;
        try {
            new CpuShare(weight, cap).checkFor(cpus);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        String pin = canonicalCpuset(cpuset);
        Map<String, IoLimit> limits = new LinkedHashMap<>();
        if (ioLimits != null) {
            for (Map.Entry<String, IoLimit> e : ioLimits.entrySet()) {
                checkIoKey(e.getKey(), d.size(), n.size());
                if (e.getValue() == null) {
                    throw invalid("io_limits." + e.getKey() + " must be an object");
                }
                e.getValue().parse();
                limits.put(e.getKey(), e.getValue());
            }
        }
        return new VmDefinition(name, mem, cpus, kernel, initrd, cl, acc, d, n, rng == null || rng, weight, cap, pin,
                prefault != null && prefault, limits);
    }

    /**
     * The definition with defaults filled in but nothing checked: for a stored definition that no
     * longer validates (its kernel went away), which is kept and refused only when started.
     */
    VmDefinition withDefaults() {
        return new VmDefinition(name, memoryMib == null ? 256 : memoryMib, vcpus == null ? 1 : vcpus, kernel, initrd,
                cmdline == null ? "" : cmdline, accel == null ? "auto" : accel, drives == null ? List.of() : drives,
                nets == null ? List.of() : nets, rng == null || rng, cpuWeight == null ? CpuShare.DEFAULT_WEIGHT : cpuWeight,
                cpuCap == null ? 0 : cpuCap, cpuset, prefault != null && prefault,
                ioLimits == null ? Map.of() : ioLimits);
    }

    /**
     * A requested cpuset checked against this host's online CPUs, in canonical form; null for none
     * (null or {@value #ALL_CPUS}).
     */
    static String canonicalCpuset(String text) throws ServiceException {
        if (text == null || text.equals(ALL_CPUS)) {
            return null;
        }
        try {
            CpuSet set = CpuSet.parse(text);
            set.checkWithin(CpuSet.online());
            return set.toString();
        } catch (IllegalArgumentException e) {
            throw invalid("cpuset: " + e.getMessage());
        }
    }

    static void checkIoKey(String key, int drives, int nets) throws ServiceException {
        var m = IO_KEY.matcher(key == null ? "" : key);
        if (!m.matches()) {
            throw invalid("an I/O limit key must be driveN or netN, not '" + key + "'");
        }
        int index = Integer.parseInt(m.group(2));
        int count = m.group(1).equals("drive") ? drives : nets;
        if (index >= count) {
            throw invalid(key + " does not exist: the VM has " + count + " " + m.group(1) + (count == 1 ? "" : "s"));
        }
    }

    private static void existingFile(String what, String path) throws ServiceException {
        Path p;
        try {
            p = Path.of(path);
        } catch (InvalidPathException e) {
            throw invalid(what + " is not a valid path: " + e.getReason());
        }
        if (!p.isAbsolute()) {
            throw invalid(what + " must be an absolute path, not '" + path + "'");
        }
        if (!Files.isRegularFile(p)) {
            throw invalid(what + " " + path + " does not exist or is not a regular file");
        }
    }

    private static DriveConfig parseDrive(String text) throws ServiceException {
        try {
            return DriveConfig.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    private static NetConfig parseNet(String text) throws ServiceException {
        try {
            return NetConfig.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
    }

    static ServiceException invalid(String message) {
        return new ServiceException(ServiceException.Kind.INVALID, message);
    }

    public long memoryBytes() {
        return (long) memoryMib << 20;
    }

    public CpuShare cpuShare() {
        return new CpuShare(cpuWeight, cpuCap);
    }

    /** The host CPUs the vCPUs may run on, or null for any. */
    public CpuSet pinning() {
        return cpuset == null ? null : CpuSet.parse(cpuset);
    }

    /** This (normalized) definition with another CPU share and cpuset (canonical, or null for none). */
    public VmDefinition withCpu(int weight, int cap, String cpus) {
        return new VmDefinition(name, memoryMib, vcpus, kernel, initrd, cmdline, accel, drives, nets, rng, weight, cap,
                cpus, prefault, ioLimits);
    }

    /** This (normalized) definition with {@code key}'s I/O limit set (null removes it). */
    public VmDefinition withIoLimit(String key, IoLimit limit) {
        Map<String, IoLimit> m = new LinkedHashMap<>(ioLimits);
        if (limit == null) {
            m.remove(key);
        } else {
            m.put(key, limit);
        }
        return new VmDefinition(name, memoryMib, vcpus, kernel, initrd, cmdline, accel, drives, nets, rng, cpuWeight,
                cpuCap, cpuset, prefault, m);
    }

    /** The single-VM configuration this (normalized) definition describes, with the I/O limit overrides applied. */
    public VmConfig toConfig() throws ServiceException {
        List<DriveConfig> dcs = new ArrayList<>();
        for (int i = 0; i < drives.size(); i++) {
            DriveConfig dc = parseDrive(drives.get(i));
            IoLimit o = ioLimits.get("drive" + i);
            dcs.add(o == null ? dc : new DriveConfig(dc.file(), dc.format(), dc.readOnly(), o.parse()));
        }
        List<NetConfig> ncs = new ArrayList<>();
        for (int i = 0; i < nets.size(); i++) {
            NetConfig nc = parseNet(nets.get(i));
            IoLimit o = ioLimits.get("net" + i);
            ncs.add(o == null ? nc : new NetConfig(nc.attachment(), nc.mac(), o.parse()));
        }
        return new VmConfig(Path.of(kernel), Optional.ofNullable(initrd).map(Path::of), cmdline, memoryBytes(), vcpus,
                VmConfig.Accel.parse(accel)).withDrives(dcs).withNets(ncs).withRng(rng);
    }

    /** The token buckets of a limit, for {@code RateLimiter.update}. */
    static TokenBucketConfig[] buckets(RateLimitConfig c) {
        return new TokenBucketConfig[]{c.bytes(), c.ops()};
    }
}
