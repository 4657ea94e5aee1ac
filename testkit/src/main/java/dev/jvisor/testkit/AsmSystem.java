package dev.jvisor.testkit;

import static dev.jvisor.testkit.Encoder.REXW;

/**
 * Port I/O, string, flag and system instructions of {@link Asm}. Opcodes are from the Intel SDM
 * Vol. 2 instruction pages.
 */
abstract sealed class AsmSystem extends AsmBase permits AsmControl {
    AsmSystem(int bits, long origin) {
        super(bits, origin);
    }

    // ---- port I/O and string instructions -----------------------------------------------------

    /** IN AL/AX/EAX, imm8 (E4/E5). */
    public Asm in(Reg dst, int port) {
        int bits = accumulator(dst);
        enc.begin(enc.sizeFlags(bits), null, bits == 8 ? 0xe4 : 0xe5);
        enc.imm(port8(port), 1);
        enc.end();
        return self();
    }

    /** IN AL/AX/EAX, DX (EC/ED). */
    public Asm in(Reg dst, Reg dx) {
        int bits = accumulator(dst);
        requireDx(dx);
        enc.simple(enc.sizeFlags(bits), bits == 8 ? 0xec : 0xed);
        return self();
    }

    /** OUT imm8, AL/AX/EAX (E6/E7). */
    public Asm out(int port, Reg src) {
        int bits = accumulator(src);
        enc.begin(enc.sizeFlags(bits), null, bits == 8 ? 0xe6 : 0xe7);
        enc.imm(port8(port), 1);
        enc.end();
        return self();
    }

    /** OUT DX, AL/AX/EAX (EE/EF). */
    public Asm out(Reg dx, Reg src) {
        int bits = accumulator(src);
        requireDx(dx);
        enc.simple(enc.sizeFlags(bits), bits == 8 ? 0xee : 0xef);
        return self();
    }

    public Asm outsb() {
        return string(0x6e, 8);
    }

    public Asm outsw() {
        return string(0x6e, 16);
    }

    public Asm outsd() {
        return string(0x6e, 32);
    }

    public Asm insb() {
        return string(0x6c, 8);
    }

    public Asm insw() {
        return string(0x6c, 16);
    }

    public Asm insd() {
        return string(0x6c, 32);
    }

    /** MOVS with element size {@code bits} (A4/A5). */
    public Asm movs(int bits) {
        return string(0xa4, bits);
    }

    /** STOS with element size {@code bits} (AA/AB). */
    public Asm stos(int bits) {
        return string(0xaa, bits);
    }

    /** LODS with element size {@code bits} (AC/AD). */
    public Asm lods(int bits) {
        return string(0xac, bits);
    }

    private Asm string(int opcode8, int bits) {
        enc.simple(enc.sizeFlags(bits), bits == 8 ? opcode8 : opcode8 + 1);
        return self();
    }

    private static int accumulator(Reg r) {
        if (r != Reg.AL && r != Reg.AX && r != Reg.EAX) {
            throw new IllegalArgumentException("port I/O uses AL, AX or EAX, not " + r);
        }
        return r.bits();
    }

    private static void requireDx(Reg dx) {
        if (dx != Reg.DX) {
            throw new IllegalArgumentException("the port register is DX, not " + dx);
        }
    }

    private static int port8(int port) {
        if (port < 0 || port > 0xff) {
            throw new IllegalArgumentException(String.format("an immediate port is 0..0xff (use DX for 0x%x)", port));
        }
        return port;
    }

    // ---- flags, interrupts and system ---------------------------------------------------------

    public Asm nop() {
        enc.simple(0, 0x90);
        return self();
    }

    public Asm hlt() {
        enc.simple(0, 0xf4);
        return self();
    }

    public Asm cli() {
        enc.simple(0, 0xfa);
        return self();
    }

    public Asm sti() {
        enc.simple(0, 0xfb);
        return self();
    }

    public Asm cld() {
        enc.simple(0, 0xfc);
        return self();
    }

    public Asm std() {
        enc.simple(0, 0xfd);
        return self();
    }

    public Asm clc() {
        enc.simple(0, 0xf8);
        return self();
    }

    public Asm stc() {
        enc.simple(0, 0xf9);
        return self();
    }

    public Asm cmc() {
        enc.simple(0, 0xf5);
        return self();
    }

    /** PAUSE (F3 90). */
    public Asm pause() {
        enc.simple(0, 0xf3, 0x90);
        return self();
    }

    /** INT3 (CC), the one-byte breakpoint. */
    public Asm int3() {
        enc.simple(0, 0xcc);
        return self();
    }

    /** INT imm8 (CD ib). */
    public Asm intn(int vector) {
        enc.begin(0, null, 0xcd);
        enc.imm(port8(vector), 1);
        enc.end();
        return self();
    }

    /** IRET in the mode's default operand size (CF): 16-bit in real mode, 32-bit otherwise. */
    public Asm iret() {
        enc.simple(0, 0xcf);
        return self();
    }

    /** IRETD: a 32-bit interrupt return from any mode. */
    public Asm iretd() {
        enc.simple(enc.sizeFlags(32), 0xcf);
        return self();
    }

    /** IRETQ (REX.W CF). */
    public Asm iretq() {
        enc.simple(REXW, 0xcf);
        return self();
    }

    public Asm lgdt(Mem m) {
        return group7(m, 2);
    }

    public Asm lidt(Mem m) {
        return group7(m, 3);
    }

    public Asm sgdt(Mem m) {
        return group7(m, 0);
    }

    public Asm sidt(Mem m) {
        return group7(m, 1);
    }

    public Asm invlpg(Mem m) {
        return group7(m, 7);
    }

    private Asm group7(Mem m, int ext) {
        enc.modrm(0, op(0x0f, 0x01), ext, null, m, 0, 0);
        return self();
    }

    /** LTR r/m16 (0F 00 /3). */
    public Asm ltr(Operand selector) {
        return group6(selector, 3);
    }

    /** LLDT r/m16 (0F 00 /2). */
    public Asm lldt(Operand selector) {
        return group6(selector, 2);
    }

    private Asm group6(Operand selector, int ext) {
        if (selector instanceof Reg r && r.bits() == 8) {
            throw new IllegalArgumentException("a selector is 16 bits wide, not " + r);
        }
        enc.modrm(0, op(0x0f, 0x00), ext, null, selector, 0, 0);
        return self();
    }

    public Asm cpuid() {
        enc.simple(0, 0x0f, 0xa2);
        return self();
    }

    public Asm rdtsc() {
        enc.simple(0, 0x0f, 0x31);
        return self();
    }

    public Asm rdmsr() {
        enc.simple(0, 0x0f, 0x32);
        return self();
    }

    public Asm wrmsr() {
        enc.simple(0, 0x0f, 0x30);
        return self();
    }

    public Asm wbinvd() {
        enc.simple(0, 0x0f, 0x09);
        return self();
    }

    /** UD2 (0F 0B): the architecturally undefined instruction. */
    public Asm ud2() {
        enc.simple(0, 0x0f, 0x0b);
        return self();
    }

    public Asm syscall() {
        enc.simple(0, 0x0f, 0x05);
        return self();
    }

    /** SYSRET to 32-bit compatibility mode (0F 07). */
    public Asm sysret() {
        enc.requireLongMode("sysret");
        enc.simple(0, 0x0f, 0x07);
        return self();
    }

    /** SYSRET to 64-bit mode (REX.W 0F 07). */
    public Asm sysretq() {
        enc.simple(REXW, 0x0f, 0x07);
        return self();
    }

    public Asm sysenter() {
        enc.simple(0, 0x0f, 0x34);
        return self();
    }

    /** SYSEXIT to 32-bit code (0F 35). */
    public Asm sysexit() {
        enc.simple(0, 0x0f, 0x35);
        return self();
    }

    /** SYSEXIT to 64-bit code (REX.W 0F 35). */
    public Asm sysexitq() {
        enc.simple(REXW, 0x0f, 0x35);
        return self();
    }

    /** SWAPGS (0F 01 F8), 64-bit mode only. */
    public Asm swapgs() {
        enc.requireLongMode("swapgs");
        enc.simple(0, 0x0f, 0x01, 0xf8);
        return self();
    }
}
