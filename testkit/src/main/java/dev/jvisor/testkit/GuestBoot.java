package dev.jvisor.testkit;

import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.Vcpu;
import java.util.Map;

/**
 * The vCPU state a {@link TinyGuest} starts in, as a boot loader would leave it.
 *
 * @param registers       general registers, RIP, RSP and RFLAGS
 * @param systemRegisters segments, descriptor tables, control registers and EFER
 * @param msrs            model-specific registers to set as well (e.g. the SYSCALL MSRs), in order
 */
public record GuestBoot(Registers registers, SystemRegisters systemRegisters, Map<Integer, Long> msrs) {
    public GuestBoot {
        msrs = Map.copyOf(msrs);
    }

    /**
     * Loads this state into {@code vcpu}: system registers first (mode and segments), then the
     * general registers, then the MSRs. vCPUs other than index 0 get the BSP flag of
     * IA32_APIC_BASE cleared (SDM Vol. 3A §11.4.4): only one processor is the bootstrap processor.
     */
    public void applyTo(Vcpu vcpu) {
        SystemRegisters s = systemRegisters;
        if (vcpu.index() != 0) {
            s = new SystemRegisters(s.cs(), s.ds(), s.es(), s.fs(), s.gs(), s.ss(), s.tr(), s.ldt(), s.gdt(), s.idt(),
                    s.cr0(), s.cr2(), s.cr3(), s.cr4(), s.cr8(), s.efer(), s.apicBase() & ~TinyGuest.APIC_BASE_BSP);
        }
        vcpu.setSystemRegisters(s);
        vcpu.setRegisters(registers);
        msrs.forEach(vcpu::setMsr);
    }
}
