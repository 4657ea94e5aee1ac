package dev.jvisor.emu.disasm;

import static dev.jvisor.emu.disasm.Entry.*;
import static dev.jvisor.emu.disasm.Tables.*;

/**
 * The general-purpose and system part of the two-byte opcode map 0F xx (Intel SDM Vol. 2 Table A-3)
 * and its groups 6, 7, 8, 9, 10, 15, 16 (Table A-6). The SIMD part is added by {@link SimdMap}.
 */
final class TwoByteMap {
    static final Entry[] MAP = new Entry[256];

    private TwoByteMap() {
    }

    static {
        java.util.Arrays.fill(MAP, BAD);
        MAP[0x00] = reg(mod(op("sldt Ew"), op("sldt Ev")), mod(op("str Ew"), op("str Ev")), op("lldt Ew"),
                op("ltr Ew"), op("verr Ew"), op("verw Ew"), null, null);
        MAP[0x01] = group7();
        MAP[0x02] = mod(op("lar Gv,Ew"), op("lar Gv,Ev"));
        MAP[0x03] = mod(op("lsl Gv,Ew"), op("lsl Gv,Ev"));
        MAP[0x05] = op("syscall");
        MAP[0x06] = op("clts");
        MAP[0x07] = op("sysret{Q}");
        MAP[0x08] = op("invd");
        MAP[0x09] = pfx(op("wbinvd"), null, op("wbnoinvd"), null);
        MAP[0x0b] = op("ud2");
        MAP[0x0d] = reg(op("prefetch M"), op("prefetchw M"), op("prefetchwt1 M"), op("prefetch M"),
                op("prefetch M"), op("prefetch M"), op("prefetch M"), op("prefetch M"));
        MAP[0x0e] = op("femms");
        MAP[0x1a] = pfx(mod(op("bndldx BND,M"), op("nop Ev")), op("bndmov BND,BNDM"), op("bndcl BND,Es"),
                op("bndcu BND,Es"));
        MAP[0x1b] = pfx(mod(op("bndstx M,BND"), op("nop Ev")), op("bndmov BNDM,BND"),
                mod(op("bndmk BND,M"), op("nop Ev", KEEP_PREFIX)),
                op("bndcn BND,Es"));
        Entry hint = op("nop{S} Ev", KEEP_PREFIX);
        // 0F 18 /6 and /7 in 64-bit mode are PREFETCHIT1/0 with RIP-relative operands; objdump then
        // treats F2/F3 as part of the (hint) form and 66 as consumed.
        Entry hint18 = op("nop{S} Ev", KEEP_PREFIX | W_USES_66);
        Entry consumed = op("nop{S} Ev", W_USES_66);
        Entry hintIt = mode(hint, pfx(hint18, hint18, consumed, consumed));
        MAP[0x18] = mod(reg(op("prefetchnta M", KEEP_PREFIX), op("prefetcht0 M", KEEP_PREFIX),
                op("prefetcht1 M", KEEP_PREFIX), op("prefetcht2 M", KEEP_PREFIX), hint, hint, hintIt, hintIt), hint);
        for (int i = 0x19; i <= 0x1f; i++) {
            if (i != 0x1a && i != 0x1b && i != 0x1c && i != 0x1e) {
                MAP[i] = hint;
            }
        }
        Entry hintNop = op("nop{S} Ev", KEEP_PREFIX | W_USES_66);
        MAP[0x1e] = pfx(hintNop, hintNop,
                mod(hintNop, reg(hintNop, w(op("rdsspd Rd"), op("rdsspq Rq")), hintNop, hintNop, hintNop, hintNop,
                        hintNop, rm(hintNop, hintNop, op("endbr64"), op("endbr32"), hintNop, hintNop, hintNop,
                                hintNop))),
                hintNop);
        MAP[0x1c] = pfx(mod(reg(op("cldemote Mb"), hintNop, hintNop, hintNop, hintNop, hintNop, hintNop, hintNop),
                hintNop), hintNop, hintNop, hintNop);
        MAP[0x20] = op("mov Rs,Cd");
        MAP[0x21] = op("mov Rs,Dd");
        MAP[0x22] = op("mov Cd,Rs");
        MAP[0x23] = op("mov Dd,Rs");
        MAP[0x24] = op("mov Rs,Td", I64);
        MAP[0x26] = op("mov Td,Rs", I64);
        MAP[0x30] = op("wrmsr");
        MAP[0x31] = op("rdtsc");
        MAP[0x32] = op("rdmsr");
        MAP[0x33] = op("rdpmc");
        MAP[0x34] = op("sysenter");
        MAP[0x35] = op("sysexit{Q}");
        MAP[0x37] = op("getsec");
        for (int cc = 0; cc < 16; cc++) {
            MAP[0x40 + cc] = op("cmov" + CONDITIONS[cc] + " Gv,Ev");
            MAP[0x80 + cc] = op("j" + CONDITIONS[cc] + " Jz", F64 | BND | HINT);
            MAP[0x90 + cc] = op("set" + CONDITIONS[cc] + " Eb");
        }
        MAP[0x78] = pfx(op("vmread Es,Gs"), null, null, null);
        MAP[0x79] = pfx(op("vmwrite Gs,Es"), null, null, null);
        MAP[0xa0] = op("push{D} FS", D64);
        MAP[0xa1] = op("pop{D} FS", D64);
        MAP[0xa2] = op("cpuid");
        MAP[0xa3] = op("bt Ev,Gv");
        MAP[0xa4] = op("shld Ev,Gv,Ib");
        MAP[0xa5] = op("shld Ev,Gv,CL");
        MAP[0xa8] = op("push{D} GS", D64);
        MAP[0xa9] = op("pop{D} GS", D64);
        MAP[0xaa] = op("rsm");
        MAP[0xab] = op("bts Ev,Gv", LOCKABLE);
        MAP[0xac] = op("shrd Ev,Gv,Ib");
        MAP[0xad] = op("shrd Ev,Gv,CL");
        MAP[0xae] = group15();
        MAP[0xaf] = op("imul Gv,Ev");
        MAP[0xb0] = op("cmpxchg Eb,Gb", LOCKABLE);
        MAP[0xb1] = op("cmpxchg Ev,Gv", LOCKABLE);
        MAP[0xb2] = op("lss Gv,Mp");
        MAP[0xb3] = op("btr Ev,Gv", LOCKABLE);
        MAP[0xb4] = op("lfs Gv,Mp");
        MAP[0xb5] = op("lgs Gv,Mp");
        MAP[0xb6] = op("movzb{o:w,l,q} Gv,Eb");
        MAP[0xb7] = op("movzw{o:w,l,q} Gv,Ew");
        MAP[0xb8] = pfx(null, null, op("popcnt Gv,Ev"), null);
        MAP[0xb9] = op("ud1 Gv,Ev");
        MAP[0xba] = reg(null, null, null, null, op("bt{S} Ev,Ib"), op("bts{S} Ev,Ib", LOCKABLE), op("btr{S} Ev,Ib", LOCKABLE),
                op("btc{S} Ev,Ib", LOCKABLE));
        MAP[0xbb] = op("btc Ev,Gv", LOCKABLE);
        MAP[0xbc] = pfx(op("bsf Gv,Ev"), op("bsf Gv,Ev", KEEP_PREFIX), op("tzcnt Gv,Ev"), null);
        MAP[0xbd] = pfx(op("bsr Gv,Ev"), op("bsr Gv,Ev", KEEP_PREFIX), op("lzcnt Gv,Ev"), null);
        MAP[0xbe] = op("movsb{o:w,l,q} Gv,Eb");
        MAP[0xbf] = op("movsw{o:w,l,q} Gv,Ew");
        MAP[0xc0] = op("xadd Eb,Gb", LOCKABLE);
        MAP[0xc1] = op("xadd Ev,Gv", LOCKABLE);
        MAP[0xc7] = group9();
        for (int r = 0; r < 8; r++) {
            MAP[0xc8 + r] = op("bswap Zv");
        }
        MAP[0xff] = op("ud0 Gv,Ev");
        SimdMap.fillTwoByte(MAP);
    }

    /**
     * Group 7 (0F 01): descriptor tables in memory forms, many system instructions in register forms
     * (SDM Vol. 2 Table A-6 and the AMD APM Vol. 3 opcode map). Most register forms ignore 66/F2/F3
     * (objdump then names the prefix as unused); where a prefix selects another instruction, or makes
     * the encoding invalid, the form is written per prefix.
     */
    private static Entry group7() {
        Entry reg0 = rm(op("enclv"), op("vmcall"), op("vmlaunch"), op("vmresume"), op("vmxoff"), op("pconfig"),
                pfx(op("wrmsrns"), null, op("wrmsrlist"), op("rdmsrlist")), null);
        Entry reg1 = rm(op("monitor EDX,ECX,aAX"), op("mwait ECX,EAX"), op("clac"), op("stac"),
                pfx(null, op("tdcall"), null, null), pfx(null, op("seamret"), null, null),
                pfx(null, op("seamops"), null, null), pfx(op("encls"), op("seamcall"), null, null));
        Entry reg2 = rm(op("xgetbv"), op("xsetbv"), null, null, op("vmfunc"), op("xend"), op("xtest"),
                op("enclu"));
        Entry vmgexit = op("vmgexit");
        Entry reg3 = rm(op("vmrun"), pfx(op("vmmcall"), null, vmgexit, vmgexit), op("vmload"), op("vmsave"),
                op("stgi"), op("clgi"), op("skinit"), op("invlpga"));
        Entry reg5 = rm(pfx(op("serialize"), null, op("setssbsy"), op("xsusldtrk")),
                pfx(null, null, null, op("xresldtrk")), pfx(null, null, op("saveprevssp"), null), null,
                pfx(null, null, op("uiret"), null), pfx(null, null, op("testui"), null),
                pfx(op("rdpkru"), null, op("clui"), null), pfx(op("wrpkru"), null, op("stui"), null));
        Entry reg7 = rm(op("swapgs"), op("rdtscp"), pfx(op("monitorx EDX,ECX,aAX"), null, op("mcommit"), null),
                pfx(op("mwaitx EBX,ECX,EAX"), null, null, null), op("clzero"),
                pfx(op("rdpru"), null, op("rmpquery"), null), pfx(op("invlpgb"), null, op("rmpadjust"),
                        op("rmpupdate")),
                pfx(op("tlbsync"), null, op("psmash"), op("pvalidate")));
        return mod(reg(op("sgdt{G} M"), op("sidt{G} M"), op("lgdt{G} M"), op("lidt{G} M"), op("smsw Ew"),
                        pfx(null, null, op("rstorssp Mq"), null), op("lmsw Ew"), op("invlpg M")),
                reg(reg0, reg1, reg2, reg3, op("smsw Ev"), reg5, op("lmsw Ew"), reg7));
    }

    /** Group 15 (0F AE): FXSAVE and friends in memory forms, fences and FS/GS base in register forms. */
    private static Entry group15() {
        Entry[] legacy = {op("{w:fxsave,fxsave64} M", KEEP_PREFIX), op("{w:fxrstor,fxrstor64} M", KEEP_PREFIX),
                op("ldmxcsr Md", KEEP_PREFIX), op("stmxcsr Md", KEEP_PREFIX), op("{w:xsave,xsave64} M", KEEP_PREFIX),
                op("{w:xrstor,xrstor64} M", KEEP_PREFIX), op("{w:xsaveopt,xsaveopt64} M", KEEP_PREFIX),
                op("clflush M", KEEP_PREFIX)};
        Entry memory = reg(legacy[0], legacy[1], legacy[2], legacy[3],
                pfx(legacy[4], null, op("ptwrite{S64} Ey"), null), pfx(legacy[5], null, null, null),
                pfx(legacy[6], op("clwb M"), op("clrssbsy Mq"), null), pfx(legacy[7], op("clflushopt M"), null, null));
        Entry register = pfx(
                reg(null, null, null, null, null, op("lfence"), fence("mfence"), fence("sfence")),
                reg(null, null, null, null, null, null, op("tpause Ry"), null),
                reg(op("rdfsbase Rv"), op("rdgsbase Rv"), op("wrfsbase Rv"), op("wrgsbase Rv"), op("ptwrite Ey"),
                        op("incssp{w:d,q} Ry"), op("umonitor Ra"), null),
                reg(null, null, null, null, null, null, op("umwait Ry"), null));
        return mod(memory, register);
    }

    /** LFENCE, MFENCE, SFENCE: only ModRM.rm = 0 (E8, F0, F8) is the fence. */
    private static Entry fence(String name) {
        return rm(op(name), null, null, null, null, null, null, null);
    }

    /** Group 9 (0F C7): CMPXCHG8B/16B, XSAVES family, VMX pointers, RDRAND/RDSEED/RDPID. */
    private static Entry group9() {
        Entry memory = reg(null, op("{w:cmpxchg8b,cmpxchg16b} M", LOCKABLE), null, op("{w:xrstors,xrstors64} M"),
                op("{w:xsavec,xsavec64} M"), op("{w:xsaves,xsaves64} M"),
                pfx(op("vmptrld Mq"), op("vmclear Mq"), op("vmxon Mq"), null), op("vmptrst Mq"));
        Entry register = reg(null, null, null, null, null, null,
                pfx(op("rdrand Rv"), op("rdrand Rv", KEEP_PREFIX), op("senduipi Rs", O64), null),
                pfx(op("rdseed Rv"), op("rdseed Rv", KEEP_PREFIX), op("rdpid Rs"), null));
        return mod(memory, register);
    }
}
