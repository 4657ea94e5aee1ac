package dev.jvisor.server.manager;

/**
 * Something that happened to a VM, as streamed to API clients: a state change (with the reason when
 * the guest ended itself), creation, deletion, a reboot, or a limit change.
 *
 * @param seq      increasing number of the event in this daemon
 * @param time     milliseconds since the epoch
 * @param type     {@code created}, {@code state}, {@code rebooted}, {@code limits}, {@code deleted}
 * @param vm       the VM's name
 * @param state    the state after the event (null for deletions)
 * @param previous the state before (null if none)
 * @param reason   why, in words (null if nothing to say)
 */
public record VmEvent(long seq, long time, String type, String vm, String state, String previous, String reason) {
}
