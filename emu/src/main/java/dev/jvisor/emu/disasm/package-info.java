/**
 * An x86 disassembler and symboliser for crash reports, traces and debugging tools.
 *
 * <p>{@link dev.jvisor.emu.disasm.Disassembler} decodes 16-, 32- and 64-bit code into AT&T syntax
 * exactly as GNU objdump 2.40 prints it (the tests compare the two on generated opcode-map corpora,
 * random bytes and real kernel and user code). Its tables are written from the Intel SDM Vol. 2
 * opcode maps (Appendix A) in a small notation ({@link dev.jvisor.emu.disasm.Tables}).
 *
 * <p>{@link dev.jvisor.emu.disasm.SymbolTable} names addresses ({@code name+0xoff}) from a System.map,
 * an ELF symbol table, or the kallsyms table recovered from a Linux kernel image
 * ({@link dev.jvisor.emu.disasm.Kallsyms}, with {@link dev.jvisor.emu.disasm.KernelImage} and
 * {@link dev.jvisor.emu.disasm.Lz4} to get from a bzImage to its vmlinux).
 */
package dev.jvisor.emu.disasm;
