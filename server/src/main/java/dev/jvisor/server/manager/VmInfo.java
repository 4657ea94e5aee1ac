package dev.jvisor.server.manager;

/**
 * A VM as {@code GET /v1/vms} shows it.
 *
 * @param name          the VM's name
 * @param state         lifecycle state ({@link VmState#id()})
 * @param reason        why it stopped or crashed last (null if it did not)
 * @param backend       {@code kvm} or {@code emu} while it runs, else null
 * @param vcpus         vCPU count
 * @param memoryMib     guest RAM in MiB
 * @param cpuPercent    host CPU use over the last second, in percent of one CPU
 * @param uptimeSeconds seconds since it started (0 when not running)
 * @param definition    the stored definition
 */
public record VmInfo(String name, String state, String reason, String backend, int vcpus, int memoryMib,
                     double cpuPercent, long uptimeSeconds, VmDefinition definition) {
}
