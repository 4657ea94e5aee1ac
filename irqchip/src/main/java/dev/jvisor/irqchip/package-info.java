/**
 * The PC interrupt and timer chips for the pure-Java emulator back end: {@link
 * dev.jvisor.irqchip.VirtualClock} (guest time and TSC), {@link dev.jvisor.irqchip.LocalApic} (one
 * per vCPU), {@link dev.jvisor.irqchip.Ioapic}, the {@link dev.jvisor.irqchip.Pic8259} pair, the
 * {@link dev.jvisor.irqchip.Pit8254} with port 0x61, all wired together by {@link
 * dev.jvisor.irqchip.Platform}. On KVM these chips live in the host kernel instead.
 */
package dev.jvisor.irqchip;
