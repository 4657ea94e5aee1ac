package dev.jvisor.hypervisor;

/** GDTR or IDTR: linear base and limit (bytes minus one). */
public record DescriptorTable(long base, int limit) {
}
