package dev.jvisor.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPUID table given to each vCPU: KVM's {@code KVM_GET_SUPPORTED_CPUID} with a few changes so
 * the guest sees the machine jvisor models rather than the host.
 *
 * <p>What is changed, and why:
 * <ul>
 *   <li>Leaf 1 EBX[31:24] (initial APIC ID) is the vCPU index, and EBX[23:16] (addressable logical
 *       processors) the vCPU count: each vCPU must see its own APIC ID, matching the MP/ACPI tables
 *       (SDM Vol. 2A CPUID, Table 3-8).</li>
 *   <li>Leaf 1 ECX[21] (x2APIC) is cleared: the machine model describes and the emulator implements
 *       an xAPIC at 0xFEE00000 only; hiding x2APIC keeps guests on that interface with either back
 *       end.</li>
 *   <li>Leaves 0xB and 0x1F (topology) report the vCPU index as the x2APIC ID in EDX of every
 *       sub-leaf, consistent with leaf 1.</li>
 *   <li>The hypervisor leaves 0x40000000+ keep KVM's "KVMKVMKVM" signature and feature bits: on
 *       KVM the guest should use kvmclock, which is stable where the (possibly nested) TSC is not.</li>
 * </ul>
 * Everything else is passed through: KVM only reports what it can virtualize on this host (on a
 * software-nested KVM that already excludes SSE3+, AVX, XSAVE, 1 GiB pages and RDTSCP).
 */
final class CpuidTable {
    /** One kvm_cpuid_entry2. */
    record Entry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
        Entry withEbx(int v) {
            return new Entry(function, index, flags, eax, v, ecx, edx);
        }

        Entry withEcx(int v) {
            return new Entry(function, index, flags, eax, ebx, v, edx);
        }

        Entry withEdx(int v) {
            return new Entry(function, index, flags, eax, ebx, ecx, v);
        }
    }

    private static final long ENTRY_SIZE = KvmStructs.CPUID_ENTRY.byteSize();
    private static final long HEADER_SIZE = KvmStructs.CPUID_HEADER.byteSize();
    private static final int MAX_ENTRIES = 4096;
    static final int X2APIC = 1 << 21;

    private CpuidTable() {
    }

    /** Reads KVM_GET_SUPPORTED_CPUID, growing the buffer while the kernel answers E2BIG. */
    static List<Entry> supported(NativeFd kvm) {
        for (int capacity = 128; capacity <= MAX_ENTRIES; capacity *= 2) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(HEADER_SIZE + capacity * ENTRY_SIZE, 8);
                buf.set(JAVA_INT, 0, capacity);
                int rc = kvm.tryIoctl(Ioctl.KVM_GET_SUPPORTED_CPUID, buf);
                if (rc == -Libc.E2BIG) {
                    continue;
                }
                if (rc < 0) {
                    throw new KvmException(Ioctl.KVM_GET_SUPPORTED_CPUID.name(), -rc, null);
                }
                return read(buf);
            }
        }
        throw new KvmException(Ioctl.KVM_GET_SUPPORTED_CPUID.name(), Libc.E2BIG, "more than " + MAX_ENTRIES + " entries");
    }

    /** The table for vCPU {@code apicId} of a VM with {@code vcpus} vCPUs. */
    static List<Entry> forVcpu(List<Entry> supported, int apicId, int vcpus) {
        List<Entry> out = new ArrayList<>(supported.size());
        for (Entry e : supported) {
            out.add(switch (e.function) {
                case 1 -> e.withEbx((e.ebx & 0x0000_ffff) | (apicId & 0xff) << 24 | (Math.min(vcpus, 255) & 0xff) << 16)
                        .withEcx(e.ecx & ~X2APIC);
                case 0xb, 0x1f -> e.withEdx(apicId);
                default -> e;
            });
        }
        return out;
    }

    /** A kvm_cpuid2 holding {@code entries}, allocated in {@code arena}. */
    static MemorySegment toStruct(Arena arena, List<Entry> entries) {
        MemorySegment buf = arena.allocate(HEADER_SIZE + entries.size() * ENTRY_SIZE, 8);
        buf.set(JAVA_INT, 0, entries.size());
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            long at = HEADER_SIZE + i * ENTRY_SIZE;
            int[] v = {e.function, e.index, e.flags, e.eax, e.ebx, e.ecx, e.edx};
            for (int j = 0; j < v.length; j++) {
                buf.set(JAVA_INT, at + j * 4L, v[j]);
            }
        }
        return buf;
    }

    private static List<Entry> read(MemorySegment buf) {
        int n = buf.get(JAVA_INT, 0);
        List<Entry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long at = HEADER_SIZE + i * ENTRY_SIZE;
            out.add(new Entry(buf.get(JAVA_INT, at), buf.get(JAVA_INT, at + 4), buf.get(JAVA_INT, at + 8),
                    buf.get(JAVA_INT, at + 12), buf.get(JAVA_INT, at + 16), buf.get(JAVA_INT, at + 20),
                    buf.get(JAVA_INT, at + 24)));
        }
        return List.copyOf(out);
    }
}
