package dev.jvisor.server.manager;

import dev.jvisor.server.sched.CpuShare;
import dev.jvisor.vmm.RateLimitConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A checked change of a VM's CPU share, cpuset and I/O limits: the definition to store and the limits
 * to apply to its running vCPUs and devices. Planning checks everything first, so a refused change
 * leaves the VM as it was.
 *
 * @param definition the definition with the change
 * @param share      the new CPU share
 * @param cpusetChanged whether the cpuset changes (to {@code definition.cpuset()})
 * @param io         new limits by {@code driveN}/{@code netN} ({@link RateLimitConfig#NONE} removes one)
 */
record LimitChange(VmDefinition definition, CpuShare share, boolean cpusetChanged, Map<String, RateLimitConfig> io) {
    /**
     * Plans a change of {@code d}: null arguments keep a setting; a cpuset of
     * {@value VmDefinition#ALL_CPUS} removes the pinning; an {@link VmDefinition.IoLimit} with both
     * fields null (or a null value) removes that limit.
     */
    static LimitChange plan(VmDefinition d, Integer cpuWeight, Integer cpuCap, String cpuset,
                            Map<String, VmDefinition.IoLimit> io) throws ServiceException {
        int weight = cpuWeight == null ? d.cpuWeight() : cpuWeight;
        int cap = cpuCap == null ? d.cpuCap() : cpuCap;
        CpuShare share;
        try {
            share = new CpuShare(weight, cap);
            share.checkFor(d.vcpus());
        } catch (IllegalArgumentException e) {
            throw VmDefinition.invalid(e.getMessage());
        }
        String pin = cpuset == null ? d.cpuset() : VmDefinition.canonicalCpuset(cpuset);
        boolean pinChanged = !Objects.equals(pin, d.cpuset());
        VmDefinition next = d.withCpu(weight, cap, pin);
        Map<String, RateLimitConfig> applied = new LinkedHashMap<>();
        if (io != null) {
            for (Map.Entry<String, VmDefinition.IoLimit> e : io.entrySet()) {
                VmDefinition.checkIoKey(e.getKey(), d.drives().size(), d.nets().size());
                VmDefinition.IoLimit l = e.getValue() == null ? new VmDefinition.IoLimit(null, null) : e.getValue();
                applied.put(e.getKey(), l.parse());
                next = next.withIoLimit(e.getKey(), l.rate() == null && l.burst() == null ? null : l);
            }
        }
        return new LimitChange(next, share, pinChanged, applied);
    }

    /** Applies the change to a running VM's scheduler entry and device limiters. */
    void applyTo(VmRun run) {
        run.setShare(share);
        if (cpusetChanged) {
            run.setCpuset(definition.pinning());
        }
        for (Map.Entry<String, RateLimitConfig> e : io.entrySet()) {
            int index = Integer.parseInt(e.getKey().replaceAll("\\D", ""));
            if (e.getKey().startsWith("drive")) {
                run.setDriveLimit(index, e.getValue());
            } else {
                run.setNetLimit(index, e.getValue());
            }
        }
    }

    String describe() {
        return "cpu weight " + share.weight() + ", cap " + share.capPercent() + "%"
                + (cpusetChanged ? ", cpuset " + Objects.requireNonNullElse(definition.cpuset(), VmDefinition.ALL_CPUS)
                        : "")
                + (io.isEmpty() ? "" : ", I/O limits on " + String.join(", ", io.keySet()));
    }
}
