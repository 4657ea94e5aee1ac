package dev.jvisor.kvm;

import static dev.jvisor.kvm.KvmStructs.RUN_INTERNAL_DATA;
import static dev.jvisor.kvm.KvmStructs.RUN_INTERNAL_NDATA;
import static dev.jvisor.kvm.KvmStructs.RUN_INTERNAL_SUBERROR;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.jvisor.hypervisor.CrashReport;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.memory.GuestMemory;
import java.lang.foreign.MemorySegment;

/**
 * Builds the user-facing descriptions of the exits that end a KVM vCPU: registers, control
 * registers and the code bytes at RIP, collected best-effort (a failing state ioctl or an RIP outside
 * RAM only shortens the report).
 */
final class CrashDetails {
    private static final int CODE_BYTES = 16;

    private CrashDetails() {
    }

    static String shutdown(KvmVcpu vcpu) {
        return "triple fault (KVM_EXIT_SHUTDOWN): an exception could not be delivered\n" + state(vcpu);
    }

    static CrashReport failEntry(KvmVcpu vcpu, long hardwareReason, int cpu) {
        return report(vcpu, String.format("KVM could not enter the guest: hardware entry failure reason 0x%x (host cpu %d)",
                hardwareReason, cpu), -1);
    }

    /** KVM_EXIT_INTERNAL_ERROR with its sub-error (linux/kvm.h KVM_INTERNAL_ERROR_*) and data words. */
    static CrashReport internalError(KvmVcpu vcpu, MemorySegment run) {
        int suberror = run.get(JAVA_INT, RUN_INTERNAL_SUBERROR);
        int ndata = Math.min(run.get(JAVA_INT, RUN_INTERNAL_NDATA), 16);
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < ndata; i++) {
            data.append(i == 0 ? "" : " ").append(String.format("0x%x", run.get(JAVA_LONG, RUN_INTERNAL_DATA + i * 8L)));
        }
        String name = switch (suberror) {
            case 1 -> "instruction emulation failed";
            case 2 -> "exception while delivering an exception";
            case 3 -> "exit while delivering an event";
            case 4 -> "unexpected hardware exit reason";
            default -> "unknown sub-error";
        };
        return report(vcpu, String.format("KVM internal error %d (%s), data [%s]", suberror, name, data), -1);
    }

    static CrashReport exception(KvmVcpu vcpu, int vector, int errorCode) {
        return report(vcpu, String.format("unhandled guest exception %d (error code 0x%x)", vector, errorCode), vector);
    }

    static CrashReport unexpected(KvmVcpu vcpu, int reason, long hardwareReason) {
        return report(vcpu, String.format("unexpected KVM exit reason %d (hardware exit reason 0x%x)", reason, hardwareReason), -1);
    }

    /** KVM_EXIT_SYSTEM_EVENT: 1 shutdown, 2 reset, 3 crash (linux/kvm.h KVM_SYSTEM_EVENT_*). */
    static VcpuExit systemEvent(KvmVcpu vcpu, int type) {
        return switch (type) {
            case 1 -> new VcpuExit.Shutdown("the guest requested power-off (KVM_SYSTEM_EVENT_SHUTDOWN)");
            case 2 -> new VcpuExit.Shutdown("the guest requested a reset (KVM_SYSTEM_EVENT_RESET)");
            default -> new VcpuExit.Crashed(report(vcpu, "KVM system event " + type + " (guest crash)", -1));
        };
    }

    private static CrashReport report(KvmVcpu vcpu, String reason, int vector) {
        long rip = -1;
        long cr2 = 0;
        try {
            Registers r = vcpu.getRegisters();
            SystemRegisters s = vcpu.getSystemRegisters();
            rip = s.cs().base() + r.rip();
            cr2 = s.cr2();
        } catch (RuntimeException e) {
            // The report below says the state could not be read.
        }
        return new CrashReport("vCPU " + vcpu.index() + ": " + reason, vector, rip, cr2, state(vcpu));
    }

    /** Registers, control registers and code bytes at CS:RIP, or why they are unavailable. */
    static String state(KvmVcpu vcpu) {
        try {
            Registers r = vcpu.getRegisters();
            SystemRegisters s = vcpu.getSystemRegisters();
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("rax=%016x rbx=%016x rcx=%016x rdx=%016x%n", r.rax(), r.rbx(), r.rcx(), r.rdx()));
            sb.append(String.format("rsi=%016x rdi=%016x rsp=%016x rbp=%016x%n", r.rsi(), r.rdi(), r.rsp(), r.rbp()));
            sb.append(String.format("r8 =%016x r9 =%016x r10=%016x r11=%016x%n", r.r8(), r.r9(), r.r10(), r.r11()));
            sb.append(String.format("r12=%016x r13=%016x r14=%016x r15=%016x%n", r.r12(), r.r13(), r.r14(), r.r15()));
            sb.append(String.format("rip=%016x rflags=%08x cs=%04x(base %x, l=%b, db=%b, dpl %d) ss=%04x%n", r.rip(),
                    r.rflags(), s.cs().selector(), s.cs().base(), s.cs().l(), s.cs().db(), s.cs().dpl(), s.ss().selector()));
            sb.append(String.format("cr0=%x cr2=%x cr3=%x cr4=%x efer=%x gdt=%x/%x idt=%x/%x%n", s.cr0(), s.cr2(),
                    s.cr3(), s.cr4(), s.efer(), s.gdt().base(), s.gdt().limit(), s.idt().base(), s.idt().limit()));
            sb.append("code at rip: ").append(codeBytes(vcpu, s.cs().base() + r.rip()));
            return sb.toString();
        } catch (RuntimeException e) {
            return "(vCPU state unavailable: " + e.getMessage() + ")";
        }
    }

    private static String codeBytes(KvmVcpu vcpu, long linear) {
        try {
            long gpa = vcpu.translate(linear);
            GuestMemory memory = vcpu.vm().memory();
            if (gpa < 0 || !memory.isRam(gpa, 1)) {
                return String.format("(linear 0x%x is not mapped to RAM)", linear);
            }
            int n = (int) Math.min(CODE_BYTES, memory.regionAt(gpa).guestEnd() - gpa);
            StringBuilder sb = new StringBuilder();
            for (byte b : memory.read(gpa, n)) {
                sb.append(String.format("%02x ", b & 0xff));
            }
            return sb.toString().trim();
        } catch (RuntimeException e) {
            return "(unavailable: " + e.getMessage() + ")";
        }
    }
}
