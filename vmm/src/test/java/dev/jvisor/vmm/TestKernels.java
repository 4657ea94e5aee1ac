package dev.jvisor.vmm;

import static dev.jvisor.testkit.Reg.*;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Small kernels assembled by the tests: a Multiboot (v1) ELF32 that reports its command line and
 * modules over COM1 and then powers the machine off through the ACPI PM1a control register.
 */
final class TestKernels {
    static final long LOAD_ADDRESS = 0x10_0000;
    private static final int COM1 = 0x3f8;
    private static final int PM1A_CNT = 0x604;
    private static final int SLP_TYP_S5 = 5;

    private TestKernels() {
    }

    /**
     * A Multiboot kernel that prints {@code "cmd=<cmdline>\n"}, then for each module
     * {@code "m=<string> <hex size> <hex first byte>\n"}, then for each memory-map entry
     * {@code "e=<hex base, low 32 bits> <hex length, low 32 bits> <hex type>\n"}, then powers off.
     */
    static byte[] multibootReporter() {
        Asm a = new Asm(32, LOAD_ADDRESS);
        Label entry = a.newLabel();
        Label puts = a.newLabel();
        Label putHex = a.newLabel();
        // Multiboot header (Multiboot spec 0.6.96 §3.1.1): magic, flags (page-align modules, memory
        // info), checksum.
        int flags = 0x3;
        a.dd(0x1BADB002).dd(flags).dd(-(0x1BADB002 + flags));
        a.bind(entry);
        a.mov(ESP, 0x9_0000);
        a.mov(EBP, EBX); // Multiboot info
        a.mov(EDX, COM1); // DX addresses COM1's data register throughout
        a.mov(AL, 'c').out(DX, AL);
        a.mov(AL, 'm').out(DX, AL);
        a.mov(AL, 'd').out(DX, AL);
        a.mov(AL, '=').out(DX, AL);
        a.mov(ESI, Mem.at(EBP, 16)).call(puts);
        a.mov(AL, '\n').out(DX, AL);
        // Modules (info flags bit 3): mods_count at 20, mods_addr at 24, 16 bytes each.
        a.mov(ECX, Mem.at(EBP, 20));
        a.mov(EDI, Mem.at(EBP, 24));
        Label modLoop = a.here();
        Label modsDone = a.newLabel();
        a.test(ECX, ECX).j(Cond.Z, modsDone);
        a.mov(AL, 'm').out(DX, AL);
        a.mov(AL, '=').out(DX, AL);
        a.mov(ESI, Mem.at(EDI, 8)).call(puts);
        a.mov(AL, ' ').out(DX, AL);
        a.mov(EAX, Mem.at(EDI, 4)).sub(EAX, Mem.at(EDI, 0)).call(putHex);
        a.mov(AL, ' ').out(DX, AL);
        a.mov(ESI, Mem.at(EDI, 0));
        a.movzx(EAX, Mem.at(ESI).bytePtr()).call(putHex);
        a.mov(AL, '\n').out(DX, AL);
        a.add(EDI, 16).dec(ECX).jmp(modLoop);
        a.bind(modsDone);
        // Memory map (info flags bit 6): mmap_length at 44, mmap_addr at 48; each entry is
        // {size, base_addr (u64), length (u64), type} and the next one starts size + 4 bytes on.
        a.mov(EDI, Mem.at(EBP, 48));
        a.mov(ECX, Mem.at(EBP, 44)).add(ECX, EDI);
        Label mapLoop = a.here();
        Label mapDone = a.newLabel();
        a.cmp(EDI, ECX).j(Cond.AE, mapDone);
        a.mov(AL, 'e').out(DX, AL);
        a.mov(AL, '=').out(DX, AL);
        a.mov(EAX, Mem.at(EDI, 4)).call(putHex);
        a.mov(AL, ' ').out(DX, AL);
        a.mov(EAX, Mem.at(EDI, 12)).call(putHex);
        a.mov(AL, ' ').out(DX, AL);
        a.mov(EAX, Mem.at(EDI, 20)).call(putHex);
        a.mov(AL, '\n').out(DX, AL);
        a.add(EDI, Mem.at(EDI)).add(EDI, 4).jmp(mapLoop);
        a.bind(mapDone);
        // ACPI S5: SLP_TYP in bits 10-12, SLP_EN bit 13 (ACPI 6.4 §4.8.3.2.1).
        a.mov(DX, PM1A_CNT).mov(AX, (SLP_TYP_S5 << 10) | (1 << 13)).out(DX, AX);
        Label hang = a.here();
        a.hlt().jmp(hang);
        // puts: ESI = NUL-terminated string
        a.bind(puts);
        Label putsLoop = a.here();
        Label putsDone = a.newLabel();
        a.mov(AL, Mem.at(ESI)).test(AL, AL).j(Cond.Z, putsDone).out(DX, AL).inc(ESI).jmp(putsLoop);
        a.bind(putsDone);
        a.ret();
        // putHex: EAX as 8 hex digits
        a.bind(putHex);
        a.push(ECX).push(EBX).mov(EBX, EAX).mov(ECX, 8);
        Label hexLoop = a.here();
        Label digit = a.newLabel();
        a.rol(EBX, 4).mov(EAX, EBX).and(EAX, 0xf).add(EAX, '0').cmp(EAX, '9');
        a.j(Cond.BE, digit).add(EAX, 'a' - '0' - 10);
        a.bind(digit);
        a.out(DX, AL).dec(ECX).j(Cond.NZ, hexLoop);
        a.pop(EBX).pop(ECX).ret();
        byte[] code = a.assemble();
        return elf32(code, LOAD_ADDRESS, a.addressOf(entry));
    }

    /**
     * A Multiboot kernel that writes {@code value} (32 bits) to the debug-exit port at {@code port},
     * then powers off through ACPI (so a missing device shows as a power-off, not as this exit).
     */
    static byte[] debugExit(int port, int value) {
        Asm a = multibootStart();
        a.mov(EDX, port).mov(EAX, value).out(DX, EAX);
        a.mov(DX, PM1A_CNT).mov(AX, (SLP_TYP_S5 << 10) | (1 << 13)).out(DX, AX);
        Label hang = a.here();
        a.hlt().jmp(hang);
        return elf32(a.assemble(), LOAD_ADDRESS, LOAD_ADDRESS + 12);
    }

    /** A Multiboot kernel that loads an empty IDT and raises #UD: a triple fault (status 4). */
    static byte[] tripleFault() {
        Asm a = multibootStart();
        a.push(0).push(0).lidt(Mem.at(ESP)); // a zero limit: no exception can be delivered
        a.ud2();
        return elf32(a.assemble(), LOAD_ADDRESS, LOAD_ADDRESS + 12);
    }

    /** What {@link #traceTarget} consists of: the image and the addresses of its pieces. */
    record TraceTarget(byte[] elf, long entry, long work, long workEnd) {
    }

    /**
     * A Multiboot kernel for the trace tests: calls {@code work} (which writes 'T' to COM1), reads
     * the local APIC's version register (MMIO), then raises #UD with an empty IDT (a triple fault).
     */
    static TraceTarget traceTarget() {
        Asm a = multibootStart();
        Label work = a.newLabel();
        a.call(work);
        a.mov(EAX, Mem.abs(0xfee0_0030L));
        a.push(0).push(0).lidt(Mem.at(ESP));
        a.ud2();
        a.bind(work);
        long workStart = a.address();
        a.mov(EDX, COM1).mov(AL, 'T').out(DX, AL);
        a.ret();
        long workEnd = a.address();
        return new TraceTarget(elf32(a.assemble(), LOAD_ADDRESS, LOAD_ADDRESS + 12), LOAD_ADDRESS + 12, workStart,
                workEnd);
    }

    /** A Multiboot header (12 bytes; the entry follows it) and a stack. */
    private static Asm multibootStart() {
        Asm a = new Asm(32, LOAD_ADDRESS);
        a.dd(0x1BADB002).dd(0).dd(-0x1BADB002);
        a.mov(ESP, 0x9_0000);
        return a;
    }

    /** A minimal ELF32 executable with one PT_LOAD segment at {@code address}. */
    static byte[] elf32(byte[] code, long address, long entry) {
        int codeOffset = 0x1000;
        ByteBuffer b = ByteBuffer.allocate(codeOffset + code.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{0x7f, 'E', 'L', 'F', 1, 1, 1, 0});
        b.position(16);
        b.putShort((short) 2).putShort((short) 3).putInt(1); // ET_EXEC, EM_386, version
        b.putInt((int) entry).putInt(52).putInt(0).putInt(0); // entry, phoff, shoff, flags
        b.putShort((short) 52).putShort((short) 32).putShort((short) 1); // ehsize, phentsize, phnum
        b.putShort((short) 40).putShort((short) 0).putShort((short) 0); // shentsize, shnum, shstrndx
        b.putInt(1).putInt(codeOffset).putInt((int) address).putInt((int) address); // PT_LOAD
        b.putInt(code.length).putInt(code.length).putInt(7).putInt(0x1000);
        b.position(codeOffset);
        b.put(code);
        return b.array();
    }
}
