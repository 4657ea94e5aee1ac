package dev.jvisor.irqchip;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The interrupt message fabric between the IOAPIC, MSI-capable devices and the local APICs (the
 * APIC bus / system bus of Intel SDM Vol. 3A 10.6 and 10.11): destination decoding in physical and
 * logical (flat or cluster) mode, lowest-priority arbitration, IPI shorthands, MSI decoding, EOI
 * broadcast back to the IOAPIC and the 8259 INTA cycle for ExtINT.
 *
 * <p>Holds no lock of its own; each target APIC locks itself. Routing never allocates.
 */
final class ApicBus {
    private static final System.Logger LOG = System.getLogger(ApicBus.class.getName());

    static final int SHORTHAND_NONE = 0;
    static final int SHORTHAND_SELF = 1;
    static final int SHORTHAND_ALL = 2;
    static final int SHORTHAND_ALL_BUT_SELF = 3;

    private LocalApic[] apics = new LocalApic[0];
    private Ioapic ioapic;
    private Pic8259 pic;
    private final AtomicLong rejectedMsis = new AtomicLong();

    /** Wiring, done once by {@link Platform} before any interrupt flows. */
    void attach(LocalApic[] apics, Ioapic ioapic, Pic8259 pic) {
        this.apics = apics;
        this.ioapic = ioapic;
        this.pic = pic;
    }

    /**
     * Delivers a message to every APIC the destination selects (or, for lowest priority, to the one
     * with the lowest arbitration priority). Returns true if at least one accepted it.
     */
    boolean deliver(int destination, boolean logical, int deliveryMode, int vector, boolean levelTriggered) {
        if (deliveryMode == DeliveryMode.LOWEST_PRIORITY) {
            LocalApic target = lowestPriority(destination, logical, SHORTHAND_NONE, null);
            return target != null && target.deliver(deliveryMode, vector, levelTriggered);
        }
        boolean accepted = false;
        for (LocalApic apic : apics) {
            if (matches(apic, destination, logical)) {
                accepted |= apic.deliver(deliveryMode, vector, levelTriggered);
            }
        }
        return accepted;
    }

    /** An IPI from {@code source}'s ICR (SDM 10.6.1). IPIs are edge-triggered. */
    void sendIpi(LocalApic source, int destination, boolean logical, int deliveryMode, int vector, int shorthand) {
        if (shorthand == SHORTHAND_NONE) {
            deliver(destination, logical, deliveryMode, vector, false);
            return;
        }
        if (shorthand == SHORTHAND_SELF) {
            source.deliver(deliveryMode, vector, false);
            return;
        }
        if (deliveryMode == DeliveryMode.LOWEST_PRIORITY) {
            LocalApic target = lowestPriority(0xFF, false, shorthand, source);
            if (target != null) {
                target.deliver(deliveryMode, vector, false);
            }
            return;
        }
        for (LocalApic apic : apics) {
            if (shorthand == SHORTHAND_ALL || apic != source) {
                apic.deliver(deliveryMode, vector, false);
            }
        }
    }

    /**
     * Decodes and delivers an MSI (SDM 10.11.1 and 10.11.2): address 0xFEE in bits 31:20, destination
     * ID in 19:12, redirection hint bit 3, destination mode bit 2; data vector 7:0, delivery mode
     * 10:8, trigger mode bit 15. A message outside the window is counted and dropped: on real hardware
     * it would be an ordinary memory write, not an interrupt.
     */
    void deliverMsi(long address, int data) {
        if ((address >>> 20) != 0xFEE) {
            long count = rejectedMsis.incrementAndGet();
            if (count == 1) {
                LOG.log(Level.WARNING, "MSI to {0} is outside the 0xFEExxxxx window; dropped",
                        Long.toHexString(address));
            }
            return;
        }
        int destination = (int) (address >>> 12) & 0xFF;
        boolean redirectionHint = (address & 8) != 0;
        boolean logical = (address & 4) != 0;
        int deliveryMode = (data >>> 8) & 7;
        if (redirectionHint && logical && deliveryMode == DeliveryMode.FIXED) {
            // RH=1 with logical destinations: the lowest-priority processor of the set takes it.
            deliveryMode = DeliveryMode.LOWEST_PRIORITY;
        }
        deliver(destination, logical, deliveryMode, data & 0xFF, (data & (1 << 15)) != 0);
    }

    /** MSIs dropped because their address was not an interrupt address. */
    long rejectedMsis() {
        return rejectedMsis.get();
    }

    /** A level-triggered vector was retired by an EOI: the IOAPIC clears its remote IRR. */
    void broadcastEoi(int vector) {
        ioapic.endOfInterrupt(vector);
    }

    /** INTA cycle of an ExtINT: the 8259 pair supplies the vector. */
    int extIntAcknowledge() {
        return pic.acknowledge();
    }

    private static boolean matches(LocalApic apic, int destination, boolean logical) {
        return logical ? apic.matchesLogical(destination) : apic.matchesPhysical(destination);
    }

    /**
     * The target of a lowest-priority delivery: among the selected APICs that accept fixed
     * interrupts, the one with the lowest arbitration priority, ties to the lowest CPU index (SDM
     * 10.6.2.4; focus-processor checks are model-specific and not modelled).
     */
    private LocalApic lowestPriority(int destination, boolean logical, int shorthand, LocalApic source) {
        LocalApic best = null;
        int bestPriority = Integer.MAX_VALUE;
        for (LocalApic apic : apics) {
            boolean selected = switch (shorthand) {
                case SHORTHAND_ALL -> true;
                case SHORTHAND_ALL_BUT_SELF -> apic != source;
                default -> matches(apic, destination, logical);
            };
            if (selected && apic.acceptsFixed() && apic.arbitrationPriority() < bestPriority) {
                best = apic;
                bestPriority = apic.arbitrationPriority();
            }
        }
        return best;
    }
}
