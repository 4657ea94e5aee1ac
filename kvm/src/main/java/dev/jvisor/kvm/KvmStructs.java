package dev.jvisor.kvm;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The KVM structures as {@link MemoryLayout}s, transcribed from {@code linux/kvm.h} and
 * {@code asm/kvm.h} (x86), and the field offsets the back end reads. {@code KvmLayoutTest} compares
 * every size and offset with the installed C header.
 */
final class KvmStructs {
    private KvmStructs() {
    }

    static long offset(MemoryLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = groupElement(path[i]);
        }
        return layout.byteOffset(elements);
    }

    /** struct kvm_regs: 16 GPRs (kvm order rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8–r15), rip, rflags. */
    static final StructLayout REGS = structLayout(
            JAVA_LONG.withName("rax"), JAVA_LONG.withName("rbx"), JAVA_LONG.withName("rcx"), JAVA_LONG.withName("rdx"),
            JAVA_LONG.withName("rsi"), JAVA_LONG.withName("rdi"), JAVA_LONG.withName("rsp"), JAVA_LONG.withName("rbp"),
            JAVA_LONG.withName("r8"), JAVA_LONG.withName("r9"), JAVA_LONG.withName("r10"), JAVA_LONG.withName("r11"),
            JAVA_LONG.withName("r12"), JAVA_LONG.withName("r13"), JAVA_LONG.withName("r14"), JAVA_LONG.withName("r15"),
            JAVA_LONG.withName("rip"), JAVA_LONG.withName("rflags")).withName("kvm_regs");

    /** struct kvm_segment. */
    static final StructLayout SEGMENT = structLayout(
            JAVA_LONG.withName("base"), JAVA_INT.withName("limit"), JAVA_SHORT.withName("selector"),
            JAVA_BYTE.withName("type"), JAVA_BYTE.withName("present"), JAVA_BYTE.withName("dpl"),
            JAVA_BYTE.withName("db"), JAVA_BYTE.withName("s"), JAVA_BYTE.withName("l"), JAVA_BYTE.withName("g"),
            JAVA_BYTE.withName("avl"), JAVA_BYTE.withName("unusable"), JAVA_BYTE.withName("padding")).withName("kvm_segment");

    /** struct kvm_dtable. */
    static final StructLayout DTABLE = structLayout(
            JAVA_LONG.withName("base"), JAVA_SHORT.withName("limit"), sequenceLayout(3, JAVA_SHORT).withName("padding"))
            .withName("kvm_dtable");

    /** struct kvm_sregs (KVM_NR_INTERRUPTS = 256, so a 4-word interrupt bitmap). */
    static final StructLayout SREGS = structLayout(
            SEGMENT.withName("cs"), SEGMENT.withName("ds"), SEGMENT.withName("es"), SEGMENT.withName("fs"),
            SEGMENT.withName("gs"), SEGMENT.withName("ss"), SEGMENT.withName("tr"), SEGMENT.withName("ldt"),
            DTABLE.withName("gdt"), DTABLE.withName("idt"),
            JAVA_LONG.withName("cr0"), JAVA_LONG.withName("cr2"), JAVA_LONG.withName("cr3"), JAVA_LONG.withName("cr4"),
            JAVA_LONG.withName("cr8"), JAVA_LONG.withName("efer"), JAVA_LONG.withName("apic_base"),
            sequenceLayout(4, JAVA_LONG).withName("interrupt_bitmap")).withName("kvm_sregs");

    /** struct kvm_fpu (the FXSAVE image, with each x87 register in a 16-byte slot). */
    static final StructLayout FPU = structLayout(
            sequenceLayout(8 * 16, JAVA_BYTE).withName("fpr"), JAVA_SHORT.withName("fcw"), JAVA_SHORT.withName("fsw"),
            JAVA_BYTE.withName("ftwx"), JAVA_BYTE.withName("pad1"), JAVA_SHORT.withName("last_opcode"),
            JAVA_LONG.withName("last_ip"), JAVA_LONG.withName("last_dp"), sequenceLayout(16 * 16, JAVA_BYTE).withName("xmm"),
            JAVA_INT.withName("mxcsr"), JAVA_INT.withName("pad2")).withName("kvm_fpu");

    /**
     * struct kvm_xsave: a 4 KiB XSAVE image. Its first 512 bytes are the FXSAVE legacy area (MXCSR at
     * byte 24, SDM Vol. 1 Table 10-2); the XSAVE header's XSTATE_BV is at byte 512 (§13.4.2).
     */
    static final StructLayout XSAVE = structLayout(sequenceLayout(1024, JAVA_INT).withName("region")).withName("kvm_xsave");
    static final long XSAVE_MXCSR = 24, XSAVE_XSTATE_BV = 512;
    /** XSTATE_BV bits for x87 and SSE state. */
    static final long XFEATURE_FP_SSE = 3;

    /** struct kvm_msr_entry; struct kvm_msrs is an 8-byte header {nmsrs, pad} followed by entries. */
    static final StructLayout MSR_ENTRY = structLayout(
            JAVA_INT.withName("index"), JAVA_INT.withName("reserved"), JAVA_LONG.withName("data")).withName("kvm_msr_entry");
    static final StructLayout MSRS_HEADER = structLayout(JAVA_INT.withName("nmsrs"), JAVA_INT.withName("pad")).withName("kvm_msrs");

    /** struct kvm_cpuid_entry2; struct kvm_cpuid2 is an 8-byte header {nent, padding} followed by entries. */
    static final StructLayout CPUID_ENTRY = structLayout(
            JAVA_INT.withName("function"), JAVA_INT.withName("index"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("eax"), JAVA_INT.withName("ebx"), JAVA_INT.withName("ecx"), JAVA_INT.withName("edx"),
            sequenceLayout(3, JAVA_INT).withName("padding")).withName("kvm_cpuid_entry2");
    static final StructLayout CPUID_HEADER = structLayout(JAVA_INT.withName("nent"), JAVA_INT.withName("padding")).withName("kvm_cpuid2");

    /** struct kvm_userspace_memory_region. */
    static final StructLayout MEMORY_REGION = structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("flags"), JAVA_LONG.withName("guest_phys_addr"),
            JAVA_LONG.withName("memory_size"), JAVA_LONG.withName("userspace_addr")).withName("kvm_userspace_memory_region");

    /** struct kvm_irq_level (the irq/status union is one 32-bit word). */
    static final StructLayout IRQ_LEVEL = structLayout(JAVA_INT.withName("irq"), JAVA_INT.withName("level")).withName("kvm_irq_level");

    /** struct kvm_irqfd. */
    static final StructLayout IRQFD = structLayout(
            JAVA_INT.withName("fd"), JAVA_INT.withName("gsi"), JAVA_INT.withName("flags"), JAVA_INT.withName("resamplefd"),
            sequenceLayout(16, JAVA_BYTE).withName("pad")).withName("kvm_irqfd");

    /** struct kvm_ioeventfd. */
    static final StructLayout IOEVENTFD = structLayout(
            JAVA_LONG.withName("datamatch"), JAVA_LONG.withName("addr"), JAVA_INT.withName("len"), JAVA_INT.withName("fd"),
            JAVA_INT.withName("flags"), sequenceLayout(36, JAVA_BYTE).withName("pad")).withName("kvm_ioeventfd");

    /** struct kvm_dirty_log (the bitmap pointer shares a union with a u64). */
    static final StructLayout DIRTY_LOG = structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("padding1"), JAVA_LONG.withName("dirty_bitmap")).withName("kvm_dirty_log");

    /** struct kvm_lapic_state: the 1 KiB APIC register page. */
    static final StructLayout LAPIC_STATE = structLayout(sequenceLayout(1024, JAVA_BYTE).withName("regs")).withName("kvm_lapic_state");

    /** struct kvm_pit_config. */
    static final StructLayout PIT_CONFIG = structLayout(
            JAVA_INT.withName("flags"), sequenceLayout(15, JAVA_INT).withName("pad")).withName("kvm_pit_config");

    /** struct kvm_msi. */
    static final StructLayout MSI = structLayout(
            JAVA_INT.withName("address_lo"), JAVA_INT.withName("address_hi"), JAVA_INT.withName("data"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("devid"), sequenceLayout(12, JAVA_BYTE).withName("pad")).withName("kvm_msi");

    /** struct kvm_translation. */
    static final StructLayout TRANSLATION = structLayout(
            JAVA_LONG.withName("linear_address"), JAVA_LONG.withName("physical_address"), JAVA_BYTE.withName("valid"),
            JAVA_BYTE.withName("writeable"), JAVA_BYTE.withName("usermode"), sequenceLayout(5, JAVA_BYTE).withName("pad"))
            .withName("kvm_translation");

    /** struct kvm_guest_debug (x86's kvm_guest_debug_arch is debugreg[8], DR0-DR7). */
    static final StructLayout GUEST_DEBUG = structLayout(
            JAVA_INT.withName("control"), JAVA_INT.withName("pad"),
            structLayout(sequenceLayout(8, JAVA_LONG).withName("debugreg")).withName("arch")).withName("kvm_guest_debug");
    static final long GUEST_DEBUG_DEBUGREG = offset(GUEST_DEBUG, "arch", "debugreg");

    /** struct kvm_mp_state. */
    static final StructLayout MP_STATE = structLayout(JAVA_INT.withName("mp_state")).withName("kvm_mp_state");

    /**
     * The head of struct kvm_run: the fixed fields and the exit-information union (256 bytes) with
     * the members this back end reads. The kernel's mapping is larger (KVM_GET_VCPU_MMAP_SIZE) and
     * also holds the PIO data page that {@code io.data_offset} points into.
     */
    static final StructLayout RUN = structLayout(
            JAVA_BYTE.withName("request_interrupt_window"), JAVA_BYTE.withName("immediate_exit"), paddingLayout(6),
            JAVA_INT.withName("exit_reason"), JAVA_BYTE.withName("ready_for_interrupt_injection"),
            JAVA_BYTE.withName("if_flag"), JAVA_SHORT.withName("flags"),
            JAVA_LONG.withName("cr8"), JAVA_LONG.withName("apic_base"),
            unionLayout(
                    structLayout(JAVA_LONG.withName("hardware_exit_reason")).withName("hw"),
                    structLayout(JAVA_LONG.withName("hardware_entry_failure_reason"), JAVA_INT.withName("cpu"), paddingLayout(4))
                            .withName("fail_entry"),
                    structLayout(JAVA_INT.withName("exception"), JAVA_INT.withName("error_code")).withName("ex"),
                    structLayout(JAVA_BYTE.withName("direction"), JAVA_BYTE.withName("size"), JAVA_SHORT.withName("port"),
                            JAVA_INT.withName("count"), JAVA_LONG.withName("data_offset")).withName("io"),
                    structLayout(JAVA_LONG.withName("phys_addr"), sequenceLayout(8, JAVA_BYTE).withName("data"),
                            JAVA_INT.withName("len"), JAVA_BYTE.withName("is_write"), paddingLayout(3)).withName("mmio"),
                    structLayout(structLayout(JAVA_INT.withName("exception"), JAVA_INT.withName("pad"),
                            JAVA_LONG.withName("pc"), JAVA_LONG.withName("dr6"), JAVA_LONG.withName("dr7")).withName("arch"))
                            .withName("debug"),
                    structLayout(JAVA_INT.withName("suberror"), JAVA_INT.withName("ndata"),
                            sequenceLayout(16, JAVA_LONG).withName("data")).withName("internal"),
                    structLayout(JAVA_INT.withName("type"), JAVA_INT.withName("ndata"),
                            sequenceLayout(16, JAVA_LONG).withName("data")).withName("system_event"),
                    sequenceLayout(256, JAVA_BYTE).withName("padding")).withName("exit")).withName("kvm_run");

    static final long RUN_IMMEDIATE_EXIT = offset(RUN, "immediate_exit");
    static final long RUN_EXIT_REASON = offset(RUN, "exit_reason");
    static final long RUN_FAIL_ENTRY_REASON = offset(RUN, "exit", "fail_entry", "hardware_entry_failure_reason");
    static final long RUN_FAIL_ENTRY_CPU = offset(RUN, "exit", "fail_entry", "cpu");
    static final long RUN_HW_EXIT_REASON = offset(RUN, "exit", "hw", "hardware_exit_reason");
    static final long RUN_EX_EXCEPTION = offset(RUN, "exit", "ex", "exception");
    static final long RUN_EX_ERROR_CODE = offset(RUN, "exit", "ex", "error_code");
    static final long RUN_IO_DIRECTION = offset(RUN, "exit", "io", "direction");
    static final long RUN_IO_SIZE = offset(RUN, "exit", "io", "size");
    static final long RUN_IO_PORT = offset(RUN, "exit", "io", "port");
    static final long RUN_IO_COUNT = offset(RUN, "exit", "io", "count");
    static final long RUN_IO_DATA_OFFSET = offset(RUN, "exit", "io", "data_offset");
    static final long RUN_MMIO_PHYS_ADDR = offset(RUN, "exit", "mmio", "phys_addr");
    static final long RUN_MMIO_DATA = offset(RUN, "exit", "mmio", "data");
    static final long RUN_MMIO_LEN = offset(RUN, "exit", "mmio", "len");
    static final long RUN_MMIO_IS_WRITE = offset(RUN, "exit", "mmio", "is_write");
    static final long RUN_INTERNAL_SUBERROR = offset(RUN, "exit", "internal", "suberror");
    static final long RUN_INTERNAL_NDATA = offset(RUN, "exit", "internal", "ndata");
    static final long RUN_INTERNAL_DATA = offset(RUN, "exit", "internal", "data");
    static final long RUN_DEBUG_EXCEPTION = offset(RUN, "exit", "debug", "arch", "exception");
    static final long RUN_DEBUG_PC = offset(RUN, "exit", "debug", "arch", "pc");
    static final long RUN_DEBUG_DR6 = offset(RUN, "exit", "debug", "arch", "dr6");
    static final long RUN_SYSTEM_EVENT_TYPE = offset(RUN, "exit", "system_event", "type");
}
