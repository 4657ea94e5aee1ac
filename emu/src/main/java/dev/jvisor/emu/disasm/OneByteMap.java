package dev.jvisor.emu.disasm;

import static dev.jvisor.emu.disasm.Entry.*;
import static dev.jvisor.emu.disasm.Tables.*;

/**
 * The one-byte opcode map (Intel SDM Vol. 2 Table A-2) and its ModRM.reg groups (Table A-6). Prefix
 * bytes, 0F, VEX (C4/C5) and x87 (D8..DF) are dispatched by {@link InstructionDecoder} before this
 * table is consulted; their slots here stay invalid.
 */
final class OneByteMap {
    static final Entry[] MAP = new Entry[256];

    private static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
    private static final String[] SHIFTS = {"rol", "ror", "rcl", "rcr", "shl", "shr", "shl", "sar"};

    private OneByteMap() {
    }

    static {
        java.util.Arrays.fill(MAP, BAD);
        for (int i = 0; i < 8; i++) {
            String m = ALU[i];
            int base = i << 3;
            int lockable = i == 7 ? 0 : LOCKABLE;
            MAP[base] = op(m + " Eb,Gb", lockable);
            MAP[base + 1] = op(m + " Ev,Gv", lockable);
            MAP[base + 2] = op(m + " Gb,Eb");
            MAP[base + 3] = op(m + " Gv,Ev");
            MAP[base + 4] = op(m + " AL,Ib");
            MAP[base + 5] = op(m + " rAX,Iz");
        }
        MAP[0x06] = op("push{D} ES", I64);
        MAP[0x07] = op("pop{D} ES", I64);
        MAP[0x0e] = op("push{D} CS", I64);
        MAP[0x16] = op("push{D} SS", I64);
        MAP[0x17] = op("pop{D} SS", I64);
        MAP[0x1e] = op("push{D} DS", I64);
        MAP[0x1f] = op("pop{D} DS", I64);
        MAP[0x27] = op("daa", I64);
        MAP[0x2f] = op("das", I64);
        MAP[0x37] = op("aaa", I64);
        MAP[0x3f] = op("aas", I64);
        for (int r = 0; r < 8; r++) {
            // 40..4F are REX prefixes in 64-bit mode; the decoder never looks them up there.
            MAP[0x40 + r] = op("inc Zv", I64);
            MAP[0x48 + r] = op("dec Zv", I64);
            MAP[0x50 + r] = op("push Zv", D64);
            MAP[0x58 + r] = op("pop Zv", D64);
        }
        MAP[0x60] = op("pusha{D}", I64);
        MAP[0x61] = op("popa{D}", I64);
        MAP[0x62] = op("bound Gv,Mv", I64 | INTEL_ORDER);
        MAP[0x63] = mode(op("arpl Ew,Gw"), mod(w(op("movsxd Gv,Ed"), op("movslq Gv,Ed")),
                w(op("movsxd Gv,Ed"), op("movslq Gv,Ed", W_USES_66))));
        MAP[0x68] = op("push{D} Iz", D64);
        MAP[0x69] = op("imul Gv,Ev,Iz");
        MAP[0x6a] = op("push{D} ISb", D64);
        MAP[0x6b] = op("imul Gv,Ev,ISb");
        MAP[0x6c] = op("ins{A} Yb,DX", REP);
        MAP[0x6d] = op("ins{A} Yz,DX", REP);
        MAP[0x6e] = op("outs{A} DX,Xb", REP);
        MAP[0x6f] = op("outs{A} DX,Xz", REP);
        for (int cc = 0; cc < 16; cc++) {
            MAP[0x70 + cc] = op("j" + CONDITIONS[cc] + " Jb", F64 | BND | HINT);
        }
        MAP[0x80] = group1("Eb,Ib");
        MAP[0x81] = group1("Ev,Iz");
        MAP[0x82] = mode(group1("Eb,Ib"), bad());
        MAP[0x83] = group1("Ev,ISb");
        MAP[0x84] = op("test Eb,Gb");
        MAP[0x85] = op("test Ev,Gv");
        MAP[0x86] = op("xchg Eb,Gb", HLE_ALWAYS);
        MAP[0x87] = op("xchg Ev,Gv", HLE_ALWAYS);
        MAP[0x88] = op("mov Eb,Gb", HLE_RELEASE);
        MAP[0x89] = op("mov Ev,Gv", HLE_RELEASE);
        MAP[0x8a] = op("mov Gb,Eb");
        MAP[0x8b] = op("mov Gv,Ev");
        MAP[0x8c] = mod(op("mov Ew,Sw"), op("mov Ev,Sw"));
        MAP[0x8d] = op("lea Gv,M");
        MAP[0x8e] = mod(op("mov Sw,Ew"), op("mov Sw,Ev"));
        MAP[0x8f] = reg(op("pop{DM} Ev", D64), null, null, null, null, null, null, null);
        MAP[0x90] = op("nop");
        for (int r = 1; r < 8; r++) {
            MAP[0x90 + r] = op("xchg Zv,rAX");
        }
        MAP[0x98] = op("{o:cbtw,cwtl,cltq}");
        MAP[0x99] = op("{o:cwtd,cltd,cqto}");
        MAP[0x9a] = op("lcall{D} Ap", I64);
        MAP[0x9b] = op("fwait");
        MAP[0x9c] = op("pushf{D}", D64);
        MAP[0x9d] = op("popf{D}", D64);
        MAP[0x9e] = op("sahf");
        MAP[0x9f] = op("lahf");
        MAP[0xa0] = op("{MO} AL,Ob");
        MAP[0xa1] = op("{MO} rAX,Ov");
        MAP[0xa2] = op("{MO} Ob,AL");
        MAP[0xa3] = op("{MO} Ov,rAX");
        MAP[0xa4] = op("movs{A} Yb,Xb", REP);
        MAP[0xa5] = op("movs{A} Yv,Xv", REP);
        MAP[0xa6] = op("cmps{A} Xb,Yb", REPZ);
        MAP[0xa7] = op("cmps{A} Xv,Yv", REPZ);
        MAP[0xa8] = op("test AL,Ib");
        MAP[0xa9] = op("test rAX,Iz");
        MAP[0xaa] = op("stos Yb,AL", REP);
        MAP[0xab] = op("stos Yv,rAX", REP);
        MAP[0xac] = op("lods AL,Xb", REP);
        MAP[0xad] = op("lods rAX,Xv", REP);
        MAP[0xae] = op("scas AL,Yb", REPZ);
        MAP[0xaf] = op("scas rAX,Yv", REPZ);
        for (int r = 0; r < 8; r++) {
            MAP[0xb0 + r] = op("mov Zb,Ib");
            MAP[0xb8 + r] = op("{MI} Zv,Iv");
        }
        MAP[0xc0] = group2("Eb,Ib");
        MAP[0xc1] = group2("Ev,Ib");
        MAP[0xc2] = op("ret{D} Iw", F64 | BND);
        MAP[0xc3] = op("ret{D}", F64 | BND);
        MAP[0xc4] = op("les Gz,Mp", I64);
        MAP[0xc5] = op("lds Gz,Mp", I64);
        MAP[0xc6] = reg(op("mov{S} Eb,Ib", HLE_RELEASE), null, null, null, null, null, null,
                mod(null, rm(op("xabort Ib"), null, null, null, null, null, null, null)));
        MAP[0xc7] = reg(op("mov{S} Ev,Iz", HLE_RELEASE), null, null, null, null, null, null,
                mod(null, rm(op("xbegin Jz"), null, null, null, null, null, null, null)));
        MAP[0xc8] = op("enter{D} Iw,I2b", D64 | INTEL_ORDER);
        MAP[0xc9] = op("leave{D}", D64);
        MAP[0xca] = op("lret{D} Iw");
        MAP[0xcb] = op("lret{D}");
        MAP[0xcc] = op("int3");
        MAP[0xcd] = op("int Ib");
        MAP[0xce] = op("into", I64);
        MAP[0xcf] = op("iret{D}");
        MAP[0xd0] = group2("Eb");
        MAP[0xd1] = group2("Ev");
        MAP[0xd2] = group2("Eb,CL");
        MAP[0xd3] = group2("Ev,CL");
        MAP[0xd4] = op("aam Ib", I64);
        MAP[0xd5] = op("aad Ib", I64);
        MAP[0xd7] = op("xlat Xlat");
        MAP[0xe0] = op("loopne{a} Jb", F64 | HINT);
        MAP[0xe1] = op("loope{a} Jb", F64 | HINT);
        MAP[0xe2] = op("loop{a} Jb", F64 | HINT);
        MAP[0xe3] = op("{ad:jcxz,jecxz,jrcxz} Jb", F64 | HINT);
        MAP[0xe4] = op("in AL,Ib");
        MAP[0xe5] = op("in eAX,Ib");
        MAP[0xe6] = op("out Ib,AL");
        MAP[0xe7] = op("out Ib,eAX");
        MAP[0xe8] = op("call{D} Jz", F64 | BND);
        MAP[0xe9] = op("jmp{D} Jz", F64 | BND);
        MAP[0xea] = op("ljmp{D} Ap", I64);
        MAP[0xeb] = op("jmp Jb", F64 | BND);
        MAP[0xec] = op("in AL,DX");
        MAP[0xed] = op("in eAX,DX");
        MAP[0xee] = op("out DX,AL");
        MAP[0xef] = op("out DX,eAX");
        MAP[0xf1] = op("int1");
        MAP[0xf4] = op("hlt");
        MAP[0xf5] = op("cmc");
        MAP[0xf6] = group3("b", "Ib");
        MAP[0xf7] = group3("v", "Iz");
        MAP[0xf8] = op("clc");
        MAP[0xf9] = op("stc");
        MAP[0xfa] = op("cli");
        MAP[0xfb] = op("sti");
        MAP[0xfc] = op("cld");
        MAP[0xfd] = op("std");
        MAP[0xfe] = reg(op("inc{S} Eb", LOCKABLE), op("dec{S} Eb", LOCKABLE), null, null, null, null, null, null);
        MAP[0xff] = reg(op("inc{S} Ev", LOCKABLE), op("dec{S} Ev", LOCKABLE),
                op("call{DM} *Ev", F64 | BND | NOTRACK), op("lcall{F} *Mp"), op("jmp{DM} *Ev", F64 | BND | NOTRACK),
                op("ljmp{F} *Mp"), op("push{DM} Ev", D64), null);
    }

    /** Group 1 (80..83): the eight ALU operations with an immediate. */
    private static Entry group1(String operands) {
        Entry[] e = new Entry[8];
        for (int i = 0; i < 8; i++) {
            e[i] = op(ALU[i] + "{S} " + operands, i == 7 ? 0 : LOCKABLE);
        }
        return reg(e);
    }

    /** Group 2 (C0, C1, D0..D3): rotates and shifts; /6 is an undocumented alias of SHL. */
    private static Entry group2(String operands) {
        Entry[] e = new Entry[8];
        for (int i = 0; i < 8; i++) {
            e[i] = op(SHIFTS[i] + "{S} " + operands);
        }
        return reg(e);
    }

    /** Group 3 (F6, F7): TEST (and its /1 alias), NOT, NEG, MUL, IMUL, DIV, IDIV. */
    private static Entry group3(String size, String imm) {
        String e = "E" + size;
        return reg(op("test{S} " + e + "," + imm), op("test{S} " + e + "," + imm), op("not{S} " + e, LOCKABLE),
                op("neg{S} " + e, LOCKABLE), op("mul{S} " + e), op("imul{S} " + e), op("div{S} " + e), op("idiv{S} " + e));
    }
}
