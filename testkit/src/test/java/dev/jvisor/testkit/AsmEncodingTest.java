package dev.jvisor.testkit;

import static dev.jvisor.testkit.CtrlReg.*;
import static dev.jvisor.testkit.Reg.*;
import static dev.jvisor.testkit.SegReg.*;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Compares {@link Asm}'s encodings byte for byte with GNU as for a broad sample of instructions in
 * each mode. Skipped when binutils is not installed.
 */
class AsmEncodingTest {
    private record Case(String gas, Consumer<Asm> java) {
    }

    private static Case c(String gas, Consumer<Asm> java) {
        return new Case(gas, java);
    }

    @BeforeAll
    static void needBinutils() {
        assumeThat(GnuAs.available()).as("GNU as/objcopy/nm (binutils) are needed to check encodings").isTrue();
    }

    @Test
    void realModeEncodingsMatchGnuAs() throws Exception {
        check(16, List.of(
                c("mov ax, bx", a -> a.mov(AX, BX)),
                c("mov al, 0x41", a -> a.mov(AL, 0x41)),
                c("mov ax, 0x1234", a -> a.mov(AX, 0x1234)),
                c("mov eax, 0x12345678", a -> a.mov(EAX, 0x12345678)),
                c("mov si, [bx+si+4]", a -> a.mov(SI, Mem.at(BX, SI, 1, 4))),
                c("mov al, [si]", a -> a.mov(AL, Mem.at(SI))),
                c("mov [bp], ax", a -> a.mov(Mem.at(BP), AX)),
                c("mov ax, [bp+di-2]", a -> a.mov(AX, Mem.at(BP, DI, 1, -2))),
                c("mov ax, [bx+0x1234]", a -> a.mov(AX, Mem.at(BX, 0x1234))),
                c("mov ax, ds:0x1234", a -> a.mov(AX, Mem.abs(0x1234))),
                c("mov ds:0x1234, al", a -> a.mov(Mem.abs(0x1234), AL)),
                c("mov bx, ds:0x1234", a -> a.mov(BX, Mem.abs(0x1234))),
                c("mov byte ptr [bx], 0x12", a -> a.mov(Mem.at(BX).bytePtr(), 0x12)),
                c("mov word ptr [di+0x100], 0x1234", a -> a.mov(Mem.at(DI, 0x100).wordPtr(), 0x1234)),
                c("mov dword ptr [eax], 1", a -> a.mov(Mem.at(EAX).dwordPtr(), 1)),
                c("mov eax, [ebx+ecx*4+8]", a -> a.mov(EAX, Mem.at(EBX, ECX, 4, 8))),
                c("mov ax, fs:[bx]", a -> a.mov(AX, Mem.at(BX).seg(FS))),
                c("mov ds, ax", a -> a.mov(DS, AX)),
                c("mov es, bx", a -> a.mov(ES, BX)),
                c("mov ax, cs", a -> a.mov(AX, CS)),
                c("mov eax, cr0", a -> a.mov(EAX, CR0)),
                c("mov cr0, eax", a -> a.mov(CR0, EAX)),
                c("mov cr4, eax", a -> a.mov(CR4, EAX)),
                c("add ax, 1", a -> a.add(AX, 1)),
                c("add al, 5", a -> a.add(AL, 5)),
                c("add bx, 0x1234", a -> a.add(BX, 0x1234)),
                c("sub ax, 0x1234", a -> a.sub(AX, 0x1234)),
                c("cmp si, di", a -> a.cmp(SI, DI)),
                c("xor eax, eax", a -> a.xor(EAX, EAX)),
                c("and byte ptr [bx], 0x7f", a -> a.and(Mem.at(BX).bytePtr(), 0x7f)),
                c("or ax, [bx+2]", a -> a.or(AX, Mem.at(BX, 2))),
                c("add ax, 0xff80", a -> a.add(AX, 0xff80)),
                c("inc ax", a -> a.inc(AX)),
                c("inc si", a -> a.inc(SI)),
                c("dec cx", a -> a.dec(CX)),
                c("inc byte ptr [bx]", a -> a.inc(Mem.at(BX).bytePtr())),
                c("inc al", a -> a.inc(AL)),
                c("push ax", a -> a.push(AX)),
                c("push eax", a -> a.push(EAX)),
                c("pop bx", a -> a.pop(BX)),
                c("push 0x12", a -> a.push(0x12)),
                c("push 0x1234", a -> a.push(0x1234)),
                c("push ds", a -> a.push(DS)),
                c("pop es", a -> a.pop(ES)),
                c("push fs", a -> a.push(FS)),
                c("pushf", Asm::pushf),
                c("popf", Asm::popf),
                c("in al, 0x60", a -> a.in(AL, 0x60)),
                c("in ax, dx", a -> a.in(AX, DX)),
                c("in eax, dx", a -> a.in(EAX, DX)),
                c("out 0x80, al", a -> a.out(0x80, AL)),
                c("out dx, al", a -> a.out(DX, AL)),
                c("out dx, ax", a -> a.out(DX, AX)),
                c("out dx, eax", a -> a.out(DX, EAX)),
                c("rep outsb", a -> a.rep().outsb()),
                c("rep insb", a -> a.rep().insb()),
                c("outsw", Asm::outsw),
                c("outsd", Asm::outsd),
                c("rep movsb", a -> a.rep().movs(8)),
                c("rep stosw", a -> a.rep().stos(16)),
                c("lodsb", a -> a.lods(8)),
                c("hlt", Asm::hlt),
                c("cli", Asm::cli),
                c("sti", Asm::sti),
                c("nop", Asm::nop),
                c("int 0x10", a -> a.intn(0x10)),
                c("iret", Asm::iret),
                c("iretd", Asm::iretd),
                c("lgdt [bx]", a -> a.lgdt(Mem.at(BX))),
                c("lidt [si]", a -> a.lidt(Mem.at(SI))),
                c("ljmp 0x08, 0x1234", a -> a.jmpFar(0x08, 0x1234)),
                c("jmp bx", a -> a.jmp(BX)),
                c("call bx", a -> a.call(BX)),
                c("call word ptr [bx]", a -> a.call(Mem.at(BX))),
                c("ret", Asm::ret),
                c("ret 4", a -> a.ret(4)),
                c("retf", Asm::retf),
                c("cpuid", Asm::cpuid),
                c("rdtsc", Asm::rdtsc),
                c("rdmsr", Asm::rdmsr),
                c("wrmsr", Asm::wrmsr),
                c("ud2", Asm::ud2),
                c("lea si, [bx+4]", a -> a.lea(SI, Mem.at(BX, 4))),
                c("movzx eax, byte ptr [si]", a -> a.movzx(EAX, Mem.at(SI).bytePtr())),
                c("shl ax, 1", a -> a.shl(AX, 1)),
                c("shr bx, 4", a -> a.shr(BX, 4)),
                c("sar eax, cl", a -> a.sar(EAX, CL)),
                c("test al, 1", a -> a.test(AL, 1)),
                c("test bx, 0x8000", a -> a.test(BX, 0x8000)),
                c("test ax, bx", a -> a.test(AX, BX)),
                c("{L}a: nop\nloop {L}a", a -> {
                    Label l = a.here();
                    a.nop().loop(l);
                }),
                c("{L}a: nop\njmp {L}a", a -> {
                    Label l = a.here();
                    a.nop().jmp(l);
                }),
                c("jmp {L}b\n.fill 200,1,0x90\n{L}b:", a -> {
                    Label l = a.newLabel();
                    a.jmp(l).space(200, 0x90).bind(l);
                }),
                c("je {L}b\n.fill 200,1,0x90\n{L}b:", a -> {
                    Label l = a.newLabel();
                    a.j(Cond.E, l).space(200, 0x90).bind(l);
                }),
                c("call {L}b\nnop\n{L}b:", a -> {
                    Label l = a.newLabel();
                    a.call(l).nop().bind(l);
                }),
                c(".byte 1, 0xff\n.word 0x1234\n.long 0x89abcdef\n.quad 0x0123456789abcdef\n.ascii \"hi\"",
                        a -> a.db(1, 0xff).dw(0x1234).dd(0x89abcdefL).dq(0x0123456789abcdefL).ascii("hi"))));
    }

    @Test
    void protectedModeEncodingsMatchGnuAs() throws Exception {
        check(32, List.of(
                c("mov eax, 0x12345678", a -> a.mov(EAX, 0x12345678)),
                c("mov ebx, ecx", a -> a.mov(EBX, ECX)),
                c("mov ax, bx", a -> a.mov(AX, BX)),
                c("mov al, ah", a -> a.mov(AL, AH)),
                c("mov ah, [ebx]", a -> a.mov(AH, Mem.at(EBX))),
                c("mov eax, [ebx+ecx*4+0x10]", a -> a.mov(EAX, Mem.at(EBX, ECX, 4, 0x10))),
                c("mov [esp+4], eax", a -> a.mov(Mem.at(ESP, 4), EAX)),
                c("mov eax, [ebp]", a -> a.mov(EAX, Mem.at(EBP))),
                c("mov eax, [ebp+0x1000]", a -> a.mov(EAX, Mem.at(EBP, 0x1000))),
                c("mov eax, [ecx*8+0x100]", a -> a.mov(EAX, Mem.at(null, ECX, 8, 0x100))),
                c("mov al, ds:0x1234", a -> a.mov(AL, Mem.abs(0x1234))),
                c("mov ds:0x5000, eax", a -> a.mov(Mem.abs(0x5000), EAX)),
                c("mov ecx, ds:0x5000", a -> a.mov(ECX, Mem.abs(0x5000))),
                c("mov dword ptr [eax], 0x12345678", a -> a.mov(Mem.at(EAX).dwordPtr(), 0x12345678)),
                c("mov word ptr [eax], 0x1234", a -> a.mov(Mem.at(EAX).wordPtr(), 0x1234)),
                c("mov byte ptr [eax+1], 0xff", a -> a.mov(Mem.at(EAX, 1).bytePtr(), 0xff)),
                c("mov ax, [bx+si]", a -> a.mov(AX, Mem.at(BX, SI))),
                c("mov ds, ax", a -> a.mov(DS, AX)),
                c("mov ss, eax", a -> a.mov(SS, EAX)),
                c("mov eax, ds", a -> a.mov(EAX, DS)),
                c("mov ax, ds", a -> a.mov(AX, DS)),
                c("mov word ptr [ebx], es", a -> a.mov(Mem.at(EBX), ES)),
                c("mov cr0, eax", a -> a.mov(CR0, EAX)),
                c("mov eax, cr2", a -> a.mov(EAX, CR2)),
                c("mov cr3, ebx", a -> a.mov(CR3, EBX)),
                c("add eax, 1", a -> a.add(EAX, 1)),
                c("add eax, 0x1000", a -> a.add(EAX, 0x1000)),
                c("add ebx, 0x1000", a -> a.add(EBX, 0x1000)),
                c("add eax, 0xffffffff", a -> a.add(EAX, 0xffffffffL)),
                c("sub esp, 8", a -> a.sub(ESP, 8)),
                c("cmp byte ptr [esi], 0", a -> a.cmp(Mem.at(ESI).bytePtr(), 0)),
                c("cmp eax, ebx", a -> a.cmp(EAX, EBX)),
                c("adc edx, 0", a -> a.adc(EDX, 0)),
                c("sbb ecx, [eax]", a -> a.sbb(ECX, Mem.at(EAX))),
                c("and eax, 0xfffff000", a -> a.and(EAX, 0xfffff000L)),
                c("or dword ptr [edi+4], 0x80000000", a -> a.or(Mem.at(EDI, 4).dwordPtr(), 0x80000000L)),
                c("xor al, 0x55", a -> a.xor(AL, 0x55)),
                c("cmp bl, 0x10", a -> a.cmp(BL, 0x10)),
                c("sub [ebx], cl", a -> a.sub(Mem.at(EBX), CL)),
                c("test eax, 1", a -> a.test(EAX, 1)),
                c("test ecx, 0x10", a -> a.test(ECX, 0x10)),
                c("test byte ptr [ebx], 1", a -> a.test(Mem.at(EBX).bytePtr(), 1)),
                c("inc eax", a -> a.inc(EAX)),
                c("dec ebx", a -> a.dec(EBX)),
                c("inc dword ptr [eax]", a -> a.inc(Mem.at(EAX).dwordPtr())),
                c("neg eax", a -> a.neg(EAX)),
                c("not ebx", a -> a.not(EBX)),
                c("mul ecx", a -> a.mul(ECX)),
                c("div ebx", a -> a.div(EBX)),
                c("imul ecx", a -> a.imul(ECX)),
                c("imul eax, ebx", a -> a.imul(EAX, EBX)),
                c("imul eax, ebx, 10", a -> a.imul(EAX, EBX, 10)),
                c("imul eax, [ecx], 1000", a -> a.imul(EAX, Mem.at(ECX), 1000)),
                c("idiv dword ptr [esi]", a -> a.idiv(Mem.at(ESI).dwordPtr())),
                c("shl eax, 1", a -> a.shl(EAX, 1)),
                c("shl eax, 4", a -> a.shl(EAX, 4)),
                c("shr byte ptr [ebx], 2", a -> a.shr(Mem.at(EBX).bytePtr(), 2)),
                c("sar edx, cl", a -> a.sar(EDX, CL)),
                c("rol eax, 8", a -> a.rol(EAX, 8)),
                c("ror ax, 3", a -> a.ror(AX, 3)),
                c("lea eax, [ebx+ecx*2+4]", a -> a.lea(EAX, Mem.at(EBX, ECX, 2, 4))),
                c("lea esp, [esp+0x100]", a -> a.lea(ESP, Mem.at(ESP, 0x100))),
                c("movzx eax, al", a -> a.movzx(EAX, AL)),
                c("movzx eax, word ptr [ebx]", a -> a.movzx(EAX, Mem.at(EBX).wordPtr())),
                c("movsx ecx, byte ptr [esi]", a -> a.movsx(ECX, Mem.at(ESI).bytePtr())),
                c("movsx eax, bx", a -> a.movsx(EAX, BX)),
                c("push eax", a -> a.push(EAX)),
                c("push ax", a -> a.push(AX)),
                c("pop ebp", a -> a.pop(EBP)),
                c("push 1", a -> a.push(1)),
                c("push 0x12345678", a -> a.push(0x12345678)),
                c("push dword ptr [eax]", a -> a.push(Mem.at(EAX))),
                c("pop dword ptr [ebx]", a -> a.pop(Mem.at(EBX).dwordPtr())),
                c("push ds", a -> a.push(DS)),
                c("pop gs", a -> a.pop(GS)),
                c("call eax", a -> a.call(EAX)),
                c("jmp eax", a -> a.jmp(EAX)),
                c("jmp dword ptr [ebx+4]", a -> a.jmp(Mem.at(EBX, 4))),
                c("ret 8", a -> a.ret(8)),
                c("ljmp 0x10, 0x12345678", a -> a.jmpFar(0x10, 0x12345678)),
                c("jmp fword ptr [eax]", a -> a.jmpFar(Mem.at(EAX))),
                c("in eax, 0x71", a -> a.in(EAX, 0x71)),
                c("out dx, eax", a -> a.out(DX, EAX)),
                c("rep outsd", a -> a.rep().outsd()),
                c("rep insw", a -> a.rep().insw()),
                c("rep movsd", a -> a.rep().movs(32)),
                c("stosb", a -> a.stos(8)),
                c("lodsd", a -> a.lods(32)),
                c("lgdt [eax]", a -> a.lgdt(Mem.at(EAX))),
                c("lidt ds:0x2000", a -> a.lidt(Mem.abs(0x2000))),
                c("ltr ax", a -> a.ltr(AX)),
                c("lldt word ptr [ebx]", a -> a.lldt(Mem.at(EBX).wordPtr())),
                c("invlpg [eax]", a -> a.invlpg(Mem.at(EAX))),
                c("sgdt [ecx]", a -> a.sgdt(Mem.at(ECX))),
                c("iretd", Asm::iret),
                c("int3", Asm::int3),
                c("int 0x80", a -> a.intn(0x80)),
                c("cld\nstd\nclc\nstc\ncmc\npause", a -> a.cld().std().clc().stc().cmc().pause()),
                c("sysenter\nsysexit\nwbinvd", a -> a.sysenter().sysexit().wbinvd()),
                c("sete al", a -> a.set(Cond.E, AL)),
                c("setne byte ptr [ebx]", a -> a.set(Cond.NE, Mem.at(EBX).bytePtr())),
                c("cmovz eax, ebx", a -> a.cmov(Cond.Z, EAX, EBX)),
                c("cmovl ecx, [edx]", a -> a.cmov(Cond.L, ECX, Mem.at(EDX))),
                c("lock add dword ptr [eax], 1", a -> a.lock().add(Mem.at(EAX).dwordPtr(), 1)),
                c("{L}a: nop\njne {L}a", a -> {
                    Label l = a.here();
                    a.nop().j(Cond.NE, l);
                }),
                c("{L}a:\n.fill 200,1,0x90\njg {L}a", a -> {
                    Label l = a.here();
                    a.space(200, 0x90).j(Cond.G, l);
                }),
                c("jmp {L}b\nnop\n{L}b:", a -> {
                    Label l = a.newLabel();
                    a.jmpShort(l).nop().bind(l);
                }),
                c("jb {L}b\nnop\n{L}b:", a -> {
                    Label l = a.newLabel();
                    a.jShort(Cond.B, l).nop().bind(l);
                })));
    }

    @Test
    void longModeEncodingsMatchGnuAs() throws Exception {
        check(64, List.of(
                c("mov rax, 5", a -> a.mov(RAX, 5)),
                c("mov rax, 0x123456789", a -> a.mov(RAX, 0x123456789L)),
                c("mov rax, -1", a -> a.mov(RAX, -1)),
                c("mov eax, 5", a -> a.mov(EAX, 5)),
                c("mov r8, 1", a -> a.mov(R8, 1)),
                c("mov r15d, 0x12345678", a -> a.mov(R15D, 0x12345678)),
                c("mov r9w, 1", a -> a.mov(R9W, 1)),
                c("mov r10b, 1", a -> a.mov(R10B, 1)),
                c("mov sil, 1", a -> a.mov(SIL, 1)),
                c("mov rax, rbx", a -> a.mov(RAX, RBX)),
                c("mov r8, r9", a -> a.mov(R8, R9)),
                c("mov eax, r12d", a -> a.mov(EAX, R12D)),
                c("mov al, r8b", a -> a.mov(AL, R8B)),
                c("mov sil, dil", a -> a.mov(SIL, DIL)),
                c("mov ax, r13w", a -> a.mov(AX, R13W)),
                c("mov rax, [rbx]", a -> a.mov(RAX, Mem.at(RBX))),
                c("mov rax, [rsp]", a -> a.mov(RAX, Mem.at(RSP))),
                c("mov rax, [rbp]", a -> a.mov(RAX, Mem.at(RBP))),
                c("mov rax, [r12]", a -> a.mov(RAX, Mem.at(R12))),
                c("mov rax, [r13]", a -> a.mov(RAX, Mem.at(R13))),
                c("mov rax, [rbx+r12*8+0x10]", a -> a.mov(RAX, Mem.at(RBX, R12, 8, 0x10))),
                c("mov rax, [r8+rcx*2-8]", a -> a.mov(RAX, Mem.at(R8, RCX, 2, -8))),
                c("mov rdx, [rsp+8]", a -> a.mov(RDX, Mem.at(RSP, 8))),
                c("mov qword ptr [rax], -1", a -> a.mov(Mem.at(RAX).qwordPtr(), -1)),
                c("mov dword ptr [r9+4], 0x1234", a -> a.mov(Mem.at(R9, 4).dwordPtr(), 0x1234)),
                c("mov byte ptr [rsi], 0x80", a -> a.mov(Mem.at(RSI).bytePtr(), 0x80)),
                c("mov word ptr [rdi], 0xffff", a -> a.mov(Mem.at(RDI).wordPtr(), 0xffff)),
                c("mov eax, [0x1234]", a -> a.mov(EAX, Mem.abs(0x1234))),
                c("mov eax, [eax]", a -> a.mov(EAX, Mem.at(EAX))),
                c("mov rax, fs:[0x28]", a -> a.mov(RAX, Mem.abs(0x28).seg(FS))),
                c("mov [r15+0x200], r14", a -> a.mov(Mem.at(R15, 0x200), R14)),
                c("mov rax, [rip+{L}t]\nnop\n{L}t: .quad 0", a -> {
                    Label t = a.newLabel();
                    a.mov(RAX, Mem.rip(t)).nop().bind(t);
                    a.dq(0);
                }),
                c("mov dword ptr [rip+{L}t], 5\n{L}t: .long 0", a -> {
                    Label t = a.newLabel();
                    a.mov(Mem.rip(t).dwordPtr(), 5).bind(t);
                    a.dd(0);
                }),
                c("{L}t: .long 0\nlea rsi, [rip+{L}t]", a -> {
                    Label t = a.here();
                    a.dd(0).lea(RSI, Mem.rip(t));
                }),
                c("mov ds, ax", a -> a.mov(DS, AX)),
                c("mov eax, ds", a -> a.mov(EAX, DS)),
                c("mov rax, cr3", a -> a.mov(RAX, CR3)),
                c("mov cr3, rax", a -> a.mov(CR3, RAX)),
                c("mov cr8, rax", a -> a.mov(CR8, RAX)),
                c("mov cr4, r9", a -> a.mov(CR4, R9)),
                c("add rax, 1", a -> a.add(RAX, 1)),
                c("add rax, 0x1000", a -> a.add(RAX, 0x1000)),
                c("sub rsp, 0x100", a -> a.sub(RSP, 0x100)),
                c("cmp r8, r9", a -> a.cmp(R8, R9)),
                c("xor r10d, r10d", a -> a.xor(R10D, R10D)),
                c("and rax, -16", a -> a.and(RAX, -16)),
                c("or qword ptr [rdi], 1", a -> a.or(Mem.at(RDI).qwordPtr(), 1)),
                c("adc r11, [r12]", a -> a.adc(R11, Mem.at(R12))),
                c("add spl, 1", a -> a.add(SPL, 1)),
                c("test rax, rax", a -> a.test(RAX, RAX)),
                c("test r9b, 1", a -> a.test(R9B, 1)),
                c("test rax, 0x100", a -> a.test(RAX, 0x100)),
                c("inc rax", a -> a.inc(RAX)),
                c("dec r8d", a -> a.dec(R8D)),
                c("inc eax", a -> a.inc(EAX)),
                c("neg r15", a -> a.neg(R15)),
                c("not qword ptr [rax]", a -> a.not(Mem.at(RAX).qwordPtr())),
                c("mul rbx", a -> a.mul(RBX)),
                c("imul rax, rbx", a -> a.imul(RAX, RBX)),
                c("imul r8, r9, 100", a -> a.imul(R8, R9, 100)),
                c("div qword ptr [rsp]", a -> a.div(Mem.at(RSP).qwordPtr())),
                c("shl rax, 1", a -> a.shl(RAX, 1)),
                c("shr r12, 12", a -> a.shr(R12, 12)),
                c("sar rdx, cl", a -> a.sar(RDX, CL)),
                c("rol r8b, 3", a -> a.rol(R8B, 3)),
                c("lea rsp, [rsp-8]", a -> a.lea(RSP, Mem.at(RSP, -8))),
                c("lea r8, [rax+rbx*4]", a -> a.lea(R8, Mem.at(RAX, RBX, 4, 0))),
                c("movzx eax, byte ptr [rdi]", a -> a.movzx(EAX, Mem.at(RDI).bytePtr())),
                c("movzx r8, word ptr [rax]", a -> a.movzx(R8, Mem.at(RAX).wordPtr())),
                c("movsxd rax, dword ptr [rbx]", a -> a.movsx(RAX, Mem.at(RBX).dwordPtr())),
                c("movsx rax, al", a -> a.movsx(RAX, AL)),
                c("push rax", a -> a.push(RAX)),
                c("push r12", a -> a.push(R12)),
                c("pop r15", a -> a.pop(R15)),
                c("push ax", a -> a.push(AX)),
                c("push 1", a -> a.push(1)),
                c("push 0x1000", a -> a.push(0x1000)),
                c("push qword ptr [rax]", a -> a.push(Mem.at(RAX))),
                c("pop qword ptr [rbx]", a -> a.pop(Mem.at(RBX))),
                c("push fs", a -> a.push(FS)),
                c("pop gs", a -> a.pop(GS)),
                c("pushf\npopf", a -> a.pushf().popf()),
                c("call rax", a -> a.call(RAX)),
                c("call r11", a -> a.call(R11)),
                c("jmp qword ptr [rax]", a -> a.jmp(Mem.at(RAX))),
                c("jmp r8", a -> a.jmp(R8)),
                c("ret", Asm::ret),
                c(".att_syntax\nlret", Asm::retf),
                c(".att_syntax\nlretq", Asm::retfq),
                c("jmp fword ptr [rax]", a -> a.jmpFar(Mem.at(RAX).dwordPtr())),
                c("rex.W jmp fword ptr [rax]", a -> a.jmpFar(Mem.at(RAX).qwordPtr())),
                c("in al, 0x60", a -> a.in(AL, 0x60)),
                c("in eax, dx", a -> a.in(EAX, DX)),
                c("out dx, al", a -> a.out(DX, AL)),
                c("out 0x80, ax", a -> a.out(0x80, AX)),
                c("rep outsb", a -> a.rep().outsb()),
                c("rep insd", a -> a.rep().insd()),
                c("rep movsq", a -> a.rep().movs(64)),
                c("stosq", a -> a.stos(64)),
                c("lgdt [rax]", a -> a.lgdt(Mem.at(RAX))),
                c("lidt [r8+0x10]", a -> a.lidt(Mem.at(R8, 0x10))),
                c("ltr ax", a -> a.ltr(AX)),
                c("swapgs\nsyscall", a -> a.swapgs().syscall()),
                c("sysretq", Asm::sysretq),
                c(".att_syntax\nsysretl", Asm::sysret),
                c("iretq", Asm::iretq),
                c("iretd", Asm::iret),
                c("cpuid\nrdtsc\nrdmsr\nwrmsr\nhlt\nud2", a -> a.cpuid().rdtsc().rdmsr().wrmsr().hlt().ud2()),
                c("int 4", a -> a.intn(4)),
                c("setb r9b", a -> a.set(Cond.B, R9B)),
                c("cmovge rax, [rbx]", a -> a.cmov(Cond.GE, RAX, Mem.at(RBX))),
                c("{L}a: nop\njmp {L}a", a -> {
                    Label l = a.here();
                    a.nop().jmp(l);
                }),
                c("{L}a: nop\nloop {L}a", a -> {
                    Label l = a.here();
                    a.nop().loop(l);
                }),
                c("{L}a:\n.fill 300,1,0x90\njne {L}a", a -> {
                    Label l = a.here();
                    a.space(300, 0x90).j(Cond.NE, l);
                }),
                c("jmp {L}b\n.fill 200,1,0x90\n{L}b:", a -> {
                    Label l = a.newLabel();
                    a.jmp(l).space(200, 0x90).bind(l);
                }),
                c("call {L}b\nnop\n{L}b:", a -> {
                    Label l = a.newLabel();
                    a.call(l).nop().bind(l);
                }),
                c(".code32\nmov eax, 1\n.code16\nmov eax, 1\n.code64\nmov rax, 1",
                        a -> a.bits(32).mov(EAX, 1).bits(16).mov(EAX, 1).bits(64).mov(RAX, 1))));
    }

    private static void check(int bits, List<Case> cases) throws Exception {
        List<String> gas = new ArrayList<>();
        for (Case c : cases) {
            gas.add(c.gas);
        }
        List<byte[]> expected = GnuAs.assemble(bits, gas);
        SoftAssertions soft = new SoftAssertions();
        for (int i = 0; i < cases.size(); i++) {
            Asm a = new Asm(bits);
            cases.get(i).java.accept(a);
            soft.assertThat(GnuAs.hex(a.assemble()))
                    .as("%d-bit '%s'", bits, cases.get(i).gas.replace('\n', ';'))
                    .isEqualTo(GnuAs.hex(expected.get(i)));
        }
        soft.assertAll();
    }
}
