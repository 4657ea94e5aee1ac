package dev.jvisor.gdbstub;

import static dev.jvisor.testkit.Reg.*;

import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Cond;
import dev.jvisor.testkit.CtrlReg;
import dev.jvisor.testkit.Label;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.SegReg;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Multiboot test kernel for the debugger tests, assembled here: it switches from the 32-bit
 * Multiboot entry to 64-bit long mode (identity-mapped first GiB, 2 MiB pages), then {@code main}
 * calls {@code tick} three times ({@code tick} increments {@code counter} and stores
 * {@code counter + 100} in {@code result}) and writes {@code counter} to the debug-exit port 0xF4,
 * so jvisor exits with status 7. Shipped as an ELF64 with a symbol table, so GDB knows the names.
 */
final class LongModeKernel {
    static final long LOAD = 0x10_0000;
    private static final long PML4 = 0x70000, PDPT = 0x71000, PD = 0x72000;

    /** The image and its symbols (name to address). */
    record Image(byte[] elf, Map<String, Long> symbols, Map<String, Long> sizes) {
        long address(String name) {
            return symbols.get(name);
        }
    }

    private LongModeKernel() {
    }

    /** The kernel as described above. */
    static Image build() {
        return build(false);
    }

    /** With {@code spin}, main loops forever after its three ticks instead of exiting. */
    static Image build(boolean spin) {
        Asm a = new Asm(32, LOAD);
        Label entry32 = a.newLabel("entry32");
        Label entry64 = a.newLabel("entry64");
        Label main = a.newLabel("main");
        Label tick = a.newLabel("tick");
        // Multiboot header (spec 0.6.96 §3.1.1): no flags, ELF loading.
        a.dd(0x1BADB002).dd(0).dd(-0x1BADB002);
        a.align(8);
        long gdt = a.address();
        a.dq(0, 0x0020_9A00_0000_0000L, 0x0000_9200_0000_0000L); // null, 64-bit code (L=1), data
        long gdtr = a.address();
        a.dw(23).dd(gdt);
        a.align(8);
        long counter = a.address();
        a.dq(0);
        long result = a.address();
        a.dq(0);

        a.bind(entry32);
        a.mov(ESP, 0x9_0000);
        a.mov(EDI, PML4).mov(ECX, 3 * 1024).xor(EAX, EAX).rep().stos(32);
        a.mov(Mem.abs(PML4).dwordPtr(), PDPT | 3).mov(Mem.abs(PDPT).dwordPtr(), PD | 3);
        a.mov(EDI, PD).mov(EAX, 0x83).mov(ECX, 512);
        Label fill = a.here();
        a.mov(Mem.at(EDI), EAX).add(EAX, 0x20_0000).add(EDI, 8).dec(ECX).j(Cond.NZ, fill);
        a.mov(EAX, CtrlReg.CR4).or(EAX, 1 << 5).mov(CtrlReg.CR4, EAX); // PAE
        a.mov(EAX, PML4).mov(CtrlReg.CR3, EAX);
        a.mov(ECX, 0xC000_0080).rdmsr().or(EAX, 1 << 8).wrmsr(); // EFER.LME
        a.mov(EAX, CtrlReg.CR0).or(EAX, 0x8000_0000L).mov(CtrlReg.CR0, EAX); // paging: long mode active
        a.lgdt(Mem.abs(gdtr));
        a.jmpFar(0x08, entry64);

        a.bits(64);
        a.bind(entry64);
        a.mov(EAX, 0x10).mov(SegReg.DS, AX).mov(SegReg.ES, AX).mov(SegReg.SS, AX);
        a.mov(RSP, 0x9_0000);
        a.bind(main);
        long mainStart = a.address();
        a.mov(ECX, 3);
        Label again = a.here();
        a.push(RCX).call(tick).pop(RCX).dec(ECX).j(Cond.NZ, again);
        if (spin) {
            Label forever = a.here();
            a.pause().jmp(forever);
        }
        a.mov(RAX, Mem.abs(counter)).mov(EDX, 0xf4).out(DX, EAX);
        Label hang = a.here();
        a.cli().hlt().jmp(hang);
        long mainEnd = a.address();
        a.bind(tick);
        long tickStart = a.address();
        a.mov(RAX, Mem.abs(counter)).inc(RAX).mov(Mem.abs(counter), RAX);
        a.add(RAX, 100).mov(Mem.abs(result), RAX);
        a.ret();
        long tickEnd = a.address();
        byte[] code = a.assemble();

        Map<String, Long> symbols = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        symbols.put("entry32", a.addressOf(entry32));
        sizes.put("entry32", 0L);
        symbols.put("main", mainStart);
        sizes.put("main", mainEnd - mainStart);
        symbols.put("tick", tickStart);
        sizes.put("tick", tickEnd - tickStart);
        symbols.put("counter", counter);
        sizes.put("counter", 8L);
        symbols.put("result", result);
        sizes.put("result", 8L);
        return new Image(elf64(code, a.addressOf(entry32), symbols, sizes), symbols, sizes);
    }

    /**
     * An ELF64 executable (System V gABI) with one PT_LOAD segment at {@link #LOAD}, a .text
     * section and a .symtab of global symbols ({@code counter} and {@code result} are objects, the
     * rest functions).
     */
    private static byte[] elf64(byte[] code, long entry, Map<String, Long> symbols, Map<String, Long> sizes) {
        int codeOffset = 0x1000;
        ByteBuffer strtab = ByteBuffer.allocate(4096);
        strtab.put((byte) 0);
        ByteBuffer symtab = ByteBuffer.allocate(24 * (symbols.size() + 1)).order(ByteOrder.LITTLE_ENDIAN);
        symtab.put(new byte[24]);
        for (Map.Entry<String, Long> s : symbols.entrySet()) {
            boolean object = s.getKey().equals("counter") || s.getKey().equals("result");
            symtab.putInt(strtab.position());
            strtab.put(s.getKey().getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
            symtab.put((byte) (1 << 4 | (object ? 1 : 2))).put((byte) 0).putShort((short) 1); // GLOBAL, OBJECT/FUNC, .text
            symtab.putLong(s.getValue()).putLong(sizes.get(s.getKey()));
        }
        byte[] shstr = "\0.text\0.symtab\0.strtab\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII);
        int symOffset = codeOffset + code.length;
        int strOffset = symOffset + symtab.capacity();
        int shstrOffset = strOffset + strtab.position();
        int shOffset = (shstrOffset + shstr.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(shOffset + 5 * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        b.position(16);
        b.putShort((short) 2).putShort((short) 62).putInt(1); // ET_EXEC, EM_X86_64, version
        b.putLong(entry).putLong(64).putLong(shOffset).putInt(0); // entry, phoff, shoff, flags
        b.putShort((short) 64).putShort((short) 56).putShort((short) 1); // ehsize, phentsize, phnum
        b.putShort((short) 64).putShort((short) 5).putShort((short) 4); // shentsize, shnum, shstrndx
        b.putInt(1).putInt(7).putLong(codeOffset).putLong(LOAD).putLong(LOAD); // PT_LOAD, RWX
        b.putLong(code.length).putLong(code.length).putLong(0x1000);
        b.position(codeOffset);
        b.put(code).put(symtab.array()).put(strtab.array(), 0, strtab.position()).put(shstr);
        b.position(shOffset);
        b.put(new byte[64]); // SHN_UNDEF
        section(b, 1, 1, 6, LOAD, codeOffset, code.length, 0, 0, 16, 0); // .text: PROGBITS, ALLOC|EXEC
        section(b, 7, 2, 0, 0, symOffset, symtab.capacity(), 3, 1, 8, 24); // .symtab -> .strtab, 1 local
        section(b, 15, 3, 0, 0, strOffset, strtab.position(), 0, 0, 1, 0); // .strtab
        section(b, 23, 3, 0, 0, shstrOffset, shstr.length, 0, 0, 1, 0); // .shstrtab
        return b.array();
    }

    private static void section(ByteBuffer b, int name, int type, long flags, long address, long offset, long size,
                                int link, int info, long align, long entrySize) {
        b.putInt(name).putInt(type).putLong(flags).putLong(address).putLong(offset).putLong(size)
                .putInt(link).putInt(info).putLong(align).putLong(entrySize);
    }
}
