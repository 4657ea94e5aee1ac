package dev.jvisor.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.jvisor.hypervisor.DescriptorTable;
import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.Segment;
import dev.jvisor.hypervisor.SystemRegisters;
import java.lang.foreign.MemorySegment;

/**
 * Converts between the back-end-neutral CPU state records and KVM's structs (kvm_regs, kvm_sregs,
 * kvm_segment, kvm_dtable, kvm_fpu). Pure data shuffling, no native calls.
 */
final class KvmState {
    private static final long SEG_BASE = 0, SEG_LIMIT = 8, SEG_SELECTOR = 12, SEG_TYPE = 14, SEG_PRESENT = 15,
            SEG_DPL = 16, SEG_DB = 17, SEG_S = 18, SEG_L = 19, SEG_G = 20, SEG_AVL = 21, SEG_UNUSABLE = 22;
    private static final long SREGS_CS = KvmStructs.offset(KvmStructs.SREGS, "cs"),
            SREGS_GDT = KvmStructs.offset(KvmStructs.SREGS, "gdt"),
            SREGS_IDT = KvmStructs.offset(KvmStructs.SREGS, "idt"),
            SREGS_CR0 = KvmStructs.offset(KvmStructs.SREGS, "cr0");
    private static final long FPU_FCW = KvmStructs.offset(KvmStructs.FPU, "fcw"),
            FPU_FSW = KvmStructs.offset(KvmStructs.FPU, "fsw"),
            FPU_FTWX = KvmStructs.offset(KvmStructs.FPU, "ftwx"),
            FPU_LAST_OPCODE = KvmStructs.offset(KvmStructs.FPU, "last_opcode"),
            FPU_LAST_IP = KvmStructs.offset(KvmStructs.FPU, "last_ip"),
            FPU_LAST_DP = KvmStructs.offset(KvmStructs.FPU, "last_dp"),
            FPU_XMM = KvmStructs.offset(KvmStructs.FPU, "xmm"),
            FPU_MXCSR = KvmStructs.offset(KvmStructs.FPU, "mxcsr");

    private KvmState() {
    }

    /** kvm_regs stores RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP, R8–R15, RIP, RFLAGS in that order. */
    static Registers readRegisters(MemorySegment s) {
        long[] v = new long[18];
        for (int i = 0; i < 18; i++) {
            v[i] = s.get(JAVA_LONG, i * 8L);
        }
        return new Registers(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12],
                v[13], v[14], v[15], v[16], v[17]);
    }

    static void writeRegisters(MemorySegment s, Registers r) {
        long[] v = {r.rax(), r.rbx(), r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rsp(), r.rbp(), r.r8(), r.r9(), r.r10(),
                r.r11(), r.r12(), r.r13(), r.r14(), r.r15(), r.rip(), r.rflags()};
        for (int i = 0; i < 18; i++) {
            s.set(JAVA_LONG, i * 8L, v[i]);
        }
    }

    static Segment readSegment(MemorySegment s, long at) {
        return new Segment(s.get(JAVA_SHORT, at + SEG_SELECTOR) & 0xffff, s.get(JAVA_LONG, at + SEG_BASE),
                s.get(JAVA_INT, at + SEG_LIMIT), s.get(JAVA_BYTE, at + SEG_TYPE) & 0xf, flag(s, at + SEG_PRESENT),
                s.get(JAVA_BYTE, at + SEG_DPL) & 3, flag(s, at + SEG_DB), flag(s, at + SEG_S), flag(s, at + SEG_L),
                flag(s, at + SEG_G), flag(s, at + SEG_AVL), flag(s, at + SEG_UNUSABLE));
    }

    static void writeSegment(MemorySegment s, long at, Segment g) {
        s.set(JAVA_LONG, at + SEG_BASE, g.base());
        s.set(JAVA_INT, at + SEG_LIMIT, g.limit());
        s.set(JAVA_SHORT, at + SEG_SELECTOR, (short) g.selector());
        s.set(JAVA_BYTE, at + SEG_TYPE, (byte) g.type());
        s.set(JAVA_BYTE, at + SEG_PRESENT, bit(g.present()));
        s.set(JAVA_BYTE, at + SEG_DPL, (byte) g.dpl());
        s.set(JAVA_BYTE, at + SEG_DB, bit(g.db()));
        s.set(JAVA_BYTE, at + SEG_S, bit(g.s()));
        s.set(JAVA_BYTE, at + SEG_L, bit(g.l()));
        s.set(JAVA_BYTE, at + SEG_G, bit(g.g()));
        s.set(JAVA_BYTE, at + SEG_AVL, bit(g.avl()));
        s.set(JAVA_BYTE, at + SEG_UNUSABLE, bit(g.unusable()));
        s.set(JAVA_BYTE, at + SEG_UNUSABLE + 1, (byte) 0);
    }

    static SystemRegisters readSystemRegisters(MemorySegment s) {
        Segment[] seg = new Segment[8];
        for (int i = 0; i < 8; i++) {
            seg[i] = readSegment(s, SREGS_CS + i * KvmStructs.SEGMENT.byteSize());
        }
        long[] cr = new long[7];
        for (int i = 0; i < 7; i++) {
            cr[i] = s.get(JAVA_LONG, SREGS_CR0 + i * 8L);
        }
        return new SystemRegisters(seg[0], seg[1], seg[2], seg[3], seg[4], seg[5], seg[6], seg[7],
                readTable(s, SREGS_GDT), readTable(s, SREGS_IDT), cr[0], cr[1], cr[2], cr[3], cr[4], cr[5], cr[6]);
    }

    /** Writes everything but the interrupt bitmap, which the caller keeps from a previous GET. */
    static void writeSystemRegisters(MemorySegment s, SystemRegisters r) {
        Segment[] seg = {r.cs(), r.ds(), r.es(), r.fs(), r.gs(), r.ss(), r.tr(), r.ldt()};
        for (int i = 0; i < 8; i++) {
            writeSegment(s, SREGS_CS + i * KvmStructs.SEGMENT.byteSize(), seg[i]);
        }
        writeTable(s, SREGS_GDT, r.gdt());
        writeTable(s, SREGS_IDT, r.idt());
        long[] cr = {r.cr0(), r.cr2(), r.cr3(), r.cr4(), r.cr8(), r.efer(), r.apicBase()};
        for (int i = 0; i < 7; i++) {
            s.set(JAVA_LONG, SREGS_CR0 + i * 8L, cr[i]);
        }
    }

    private static DescriptorTable readTable(MemorySegment s, long at) {
        return new DescriptorTable(s.get(JAVA_LONG, at), s.get(JAVA_SHORT, at + 8) & 0xffff);
    }

    private static void writeTable(MemorySegment s, long at, DescriptorTable t) {
        if (t.limit() < 0 || t.limit() > 0xffff) {
            throw new IllegalArgumentException("descriptor-table limit must fit 16 bits: " + t.limit());
        }
        s.set(JAVA_LONG, at, t.base());
        s.set(JAVA_SHORT, at + 8, (short) t.limit());
        s.asSlice(at + 10, 6).fill((byte) 0);
    }

    /** kvm_fpu keeps each 80-bit x87 register in a 16-byte slot; FpuState packs them in 10 bytes. */
    static FpuState readFpu(MemorySegment s) {
        byte[] st = new byte[80];
        for (int i = 0; i < 8; i++) {
            MemorySegment.copy(s, JAVA_BYTE, i * 16L, st, i * 10, 10);
        }
        byte[] xmm = new byte[256];
        MemorySegment.copy(s, JAVA_BYTE, FPU_XMM, xmm, 0, 256);
        return new FpuState(st, s.get(JAVA_SHORT, FPU_FCW) & 0xffff, s.get(JAVA_SHORT, FPU_FSW) & 0xffff,
                s.get(JAVA_BYTE, FPU_FTWX) & 0xff, s.get(JAVA_SHORT, FPU_LAST_OPCODE) & 0xffff,
                s.get(JAVA_LONG, FPU_LAST_IP), s.get(JAVA_LONG, FPU_LAST_DP), xmm, s.get(JAVA_INT, FPU_MXCSR));
    }

    /**
     * Writes FpuState into an FXSAVE image (SDM Vol. 1 §10.5.1, Table 10-2): FCW, FSW, abridged FTW,
     * FOP, FIP, FDP, MXCSR at bytes 0–27 (MXCSR_MASK at 28 is left as the CPU reports it), ST0–ST7 in
     * 16-byte slots from byte 32, XMM0–XMM15 from byte 160.
     */
    static void writeFxsaveArea(MemorySegment s, FpuState f) {
        if (f.st().length != 80 || f.xmm().length != 256) {
            throw new IllegalArgumentException("FPU state needs 80 bytes of x87 registers and 256 bytes of XMM registers");
        }
        s.set(JAVA_SHORT, 0, (short) f.fcw());
        s.set(JAVA_SHORT, 2, (short) f.fsw());
        s.set(JAVA_BYTE, 4, (byte) f.ftw());
        s.set(JAVA_BYTE, 5, (byte) 0);
        s.set(JAVA_SHORT, 6, (short) f.lastOpcode());
        s.set(JAVA_LONG, 8, f.lastIp());
        s.set(JAVA_LONG, 16, f.lastDp());
        s.set(JAVA_INT, 24, f.mxcsr());
        for (int i = 0; i < 8; i++) {
            s.asSlice(32 + i * 16L, 16).fill((byte) 0);
            MemorySegment.copy(f.st(), i * 10, s, JAVA_BYTE, 32 + i * 16L, 10);
        }
        MemorySegment.copy(f.xmm(), 0, s, JAVA_BYTE, 160, 256);
    }

    private static boolean flag(MemorySegment s, long at) {
        return s.get(JAVA_BYTE, at) != 0;
    }

    private static byte bit(boolean b) {
        return (byte) (b ? 1 : 0);
    }
}
