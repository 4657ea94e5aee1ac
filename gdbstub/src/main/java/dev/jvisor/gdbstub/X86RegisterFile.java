package dev.jvisor.gdbstub;

import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.Segment;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.hypervisor.Vcpu;

/**
 * A vCPU's registers in the numbering and sizes of {@link TargetDescription} (GDB's amd64 layout:
 * the {@code org.gnu.gdb.i386} core, SSE, Linux, segment-base and system features), read and
 * written through the back-end-neutral state records. Used only while the vCPU is stopped.
 */
final class X86RegisterFile {
    /** Register numbers (positions in the target description). */
    static final int RIP = 16, EFLAGS = 17, CS = 18, GS = 23, ST0 = 24, FCTRL = 32, FSTAT = 33, FTAG = 34,
            FISEG = 35, FIOFF = 36, FOSEG = 37, FOOFF = 38, FOP = 39, XMM0 = 40, MXCSR = 56, ORIG_RAX = 57,
            FS_BASE = 58, GS_BASE = 59, K_GS_BASE = 60, CR0 = 61, CR2 = 62, CR3 = 63, CR4 = 64, CR8 = 65, EFER = 66;
    static final int COUNT = 67;
    /** IA32_KERNEL_GS_BASE (Intel SDM Vol. 4 Table 2-2), the SWAPGS partner of GS.base. */
    static final int MSR_KERNEL_GS_BASE = 0xc000_0102;
    /** GDB's amd64 order of the first 16 registers, as indices into {@link Registers#gprsInEncodingOrder()}. */
    private static final int[] GDB_TO_ENCODING = {0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15};

    private X86RegisterFile() {
    }

    /** The size in bytes of register {@code n}. @throws ProtocolException for a number out of range */
    static int size(int n) {
        if (n < 0 || n >= COUNT) {
            throw new ProtocolException("no register " + n);
        }
        if (n <= RIP) {
            return 8;
        }
        if (n < ST0) {
            return 4;
        }
        if (n < FCTRL) {
            return 10;
        }
        if (n < XMM0) {
            return 4;
        }
        if (n < MXCSR) {
            return 16;
        }
        return n == MXCSR ? 4 : 8;
    }

    /** A snapshot of every register of one vCPU. */
    record Snapshot(Registers regs, SystemRegisters sys, FpuState fpu, long kernelGsBase) {
        static Snapshot of(Vcpu vcpu) {
            long kgs;
            try {
                kgs = vcpu.getMsr(MSR_KERNEL_GS_BASE);
            } catch (RuntimeException e) {
                kgs = 0; // a back end without this MSR: show 0
            }
            return new Snapshot(vcpu.getRegisters(), vcpu.getSystemRegisters(), vcpu.getFpu(), kgs);
        }

        /** Appends register {@code n} as hex in target byte order. */
        void append(StringBuilder sb, int n) {
            int size = size(n);
            if (n >= ST0 && n < FCTRL) {
                Hex.appendBytes(sb, fpu.st(), (n - ST0) * 10, 10);
            } else if (n >= XMM0 && n < MXCSR) {
                Hex.appendBytes(sb, fpu.xmm(), (n - XMM0) * 16, 16);
            } else {
                Hex.appendLittleEndian(sb, scalar(n), size);
            }
        }

        private long scalar(int n) {
            if (n < RIP) {
                return regs.gprsInEncodingOrder()[GDB_TO_ENCODING[n]];
            }
            return switch (n) {
                case RIP -> regs.rip();
                case EFLAGS -> regs.rflags();
                case 18 -> sys.cs().selector();
                case 19 -> sys.ss().selector();
                case 20 -> sys.ds().selector();
                case 21 -> sys.es().selector();
                case 22 -> sys.fs().selector();
                case GS -> sys.gs().selector();
                case FCTRL -> fpu.fcw();
                case FSTAT -> fpu.fsw();
                case FTAG -> X87Tags.fullTagWord(fpu);
                case FISEG -> fpu.lastIp() >>> 32;
                case FIOFF -> fpu.lastIp() & 0xffff_ffffL;
                case FOSEG -> fpu.lastDp() >>> 32;
                case FOOFF -> fpu.lastDp() & 0xffff_ffffL;
                case FOP -> fpu.lastOpcode();
                case MXCSR -> fpu.mxcsr();
                case ORIG_RAX -> -1; // not inside a system call
                case FS_BASE -> sys.fs().base();
                case GS_BASE -> sys.gs().base();
                case K_GS_BASE -> kernelGsBase;
                case CR0 -> sys.cr0();
                case CR2 -> sys.cr2();
                case CR3 -> sys.cr3();
                case CR4 -> sys.cr4();
                case CR8 -> sys.cr8();
                case EFER -> sys.efer();
                default -> throw new ProtocolException("no register " + n);
            };
        }

        /** Every register in order (the {@code g} reply). */
        String all() {
            StringBuilder sb = new StringBuilder(1200);
            for (int n = 0; n < COUNT; n++) {
                append(sb, n);
            }
            return sb.toString();
        }
    }

    /**
     * Writes register {@code n} of {@code vcpu} from its target-order bytes. Segment selectors, the
     * FPU's pointer registers and orig_rax can only be written with their current value.
     *
     * @throws ProtocolException for a value the stub cannot install
     */
    static void write(Vcpu vcpu, int n, byte[] bytes, int offset) {
        int size = size(n);
        long v = size <= 8 ? Hex.littleEndian(bytes, offset, size) : 0;
        if (n <= EFLAGS) {
            Registers r = vcpu.getRegisters();
            long[] g = r.gprsInEncodingOrder();
            long rip = r.rip();
            long rflags = r.rflags();
            if (n < RIP) {
                g[GDB_TO_ENCODING[n]] = v;
            } else if (n == RIP) {
                rip = v;
            } else {
                rflags = (rflags & ~0xffff_ffffL) | v | 2; // bit 1 is always set
            }
            vcpu.setRegisters(Registers.fromEncodingOrder(g, rip, rflags));
            return;
        }
        if (n == ORIG_RAX) {
            return; // meaningful only for Linux processes; accepted and ignored
        }
        if (n >= ST0 && n <= MXCSR && n != FTAG) {
            writeFpu(vcpu, n, bytes, offset, v);
            return;
        }
        Snapshot now = Snapshot.of(vcpu);
        if (n < ST0 || n == FTAG) {
            // Segment selectors come with hidden descriptor state, and the tag word follows from the
            // registers: a write that changes them could not be done faithfully.
            if (now.scalar(n) != v) {
                throw new ProtocolException("register " + n + " cannot be changed by the debugger");
            }
            return;
        }
        if (n == K_GS_BASE) {
            vcpu.setMsr(MSR_KERNEL_GS_BASE, v);
            return;
        }
        SystemRegisters s = now.sys();
        SystemRegisters t = switch (n) {
            case FS_BASE -> new SystemRegisters(s.cs(), s.ds(), s.es(), withBase(s.fs(), v), s.gs(), s.ss(), s.tr(),
                    s.ldt(), s.gdt(), s.idt(), s.cr0(), s.cr2(), s.cr3(), s.cr4(), s.cr8(), s.efer(), s.apicBase());
            case GS_BASE -> new SystemRegisters(s.cs(), s.ds(), s.es(), s.fs(), withBase(s.gs(), v), s.ss(), s.tr(),
                    s.ldt(), s.gdt(), s.idt(), s.cr0(), s.cr2(), s.cr3(), s.cr4(), s.cr8(), s.efer(), s.apicBase());
            case CR0, CR2, CR3, CR4, CR8, EFER -> new SystemRegisters(s.cs(), s.ds(), s.es(), s.fs(), s.gs(), s.ss(),
                    s.tr(), s.ldt(), s.gdt(), s.idt(), n == CR0 ? v : s.cr0(), n == CR2 ? v : s.cr2(),
                    n == CR3 ? v : s.cr3(), n == CR4 ? v : s.cr4(), n == CR8 ? v : s.cr8(), n == EFER ? v : s.efer(),
                    s.apicBase());
            default -> throw new ProtocolException("no register " + n);
        };
        vcpu.setSystemRegisters(t);
    }

    private static Segment withBase(Segment s, long base) {
        return new Segment(s.selector(), base, s.limit(), s.type(), s.present(), s.dpl(), s.db(), s.s(), s.l(), s.g(),
                s.avl(), s.unusable());
    }

    private static void writeFpu(Vcpu vcpu, int n, byte[] bytes, int offset, long v) {
        FpuState f = vcpu.getFpu();
        byte[] st = f.st().clone();
        byte[] xmm = f.xmm().clone();
        int fcw = f.fcw(), fsw = f.fsw(), mxcsr = f.mxcsr(), op = f.lastOpcode();
        long ip = f.lastIp(), dp = f.lastDp();
        if (n >= ST0 && n < FCTRL) {
            System.arraycopy(bytes, offset, st, (n - ST0) * 10, 10);
        } else if (n >= XMM0 && n < MXCSR) {
            System.arraycopy(bytes, offset, xmm, (n - XMM0) * 16, 16);
        } else {
            switch (n) {
                case FCTRL -> fcw = (int) v & 0xffff;
                case FSTAT -> fsw = (int) v & 0xffff;
                case FISEG -> ip = (ip & 0xffff_ffffL) | v << 32;
                case FIOFF -> ip = (ip & ~0xffff_ffffL) | v;
                case FOSEG -> dp = (dp & 0xffff_ffffL) | v << 32;
                case FOOFF -> dp = (dp & ~0xffff_ffffL) | v;
                case FOP -> op = (int) v & 0x7ff;
                case MXCSR -> mxcsr = (int) v;
                default -> throw new ProtocolException("no FPU register " + n);
            }
        }
        vcpu.setFpu(new FpuState(st, fcw, fsw, f.ftw(), op, ip, dp, xmm, mxcsr));
    }
}
