package dev.jvisor.emu.disasm;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An x86 disassembler for 16-, 32- and 64-bit code that prints AT&T syntax the way GNU objdump does
 * ({@code objdump -d -M att}): the general-purpose and system instruction set, x87, MMX, SSE through
 * SSE4.2, AES/SHA/CLMUL, and the common AVX/AVX2/FMA/BMI VEX encodings. What it cannot decode (EVEX,
 * XOP, 3DNow!, invalid encodings) prints as {@code (bad)} and is skipped the way objdump skips it.
 *
 * <p>Its tables follow the opcode maps of the Intel SDM Vol. 2 Appendix A. Instances are immutable
 * and thread-safe; decoding allocates only the result. Not meant for the emulator's hot path: it
 * serves crash reports, traces and debugging tools.
 */
public final class Disassembler {
    private final CodeSize codeSize;
    private final AddressNamer namer;

    /** A disassembler for code of the given size that prints branch targets as bare addresses. */
    public Disassembler(CodeSize codeSize) {
        this(codeSize, null);
    }

    /**
     * A disassembler that also names branch and RIP-relative targets ({@code <name+0xoff>}) through
     * {@code namer} (may be null).
     */
    public Disassembler(CodeSize codeSize, AddressNamer namer) {
        this.codeSize = Objects.requireNonNull(codeSize, "codeSize");
        this.namer = namer;
    }

    public CodeSize codeSize() {
        return codeSize;
    }

    /**
     * Decodes the instruction starting at {@code code[offset]}, reading no further than
     * {@code offset + available} (and never more than 15 bytes). {@code address} is where the
     * instruction lives, for relative targets. Bytes that end before the instruction does decode as
     * {@code (bad)} covering them all.
     */
    public DecodedInstruction decode(byte[] code, int offset, int available, long address) {
        Objects.checkFromIndexSize(offset, available, code.length);
        if (available <= 0) {
            throw new IllegalArgumentException("no bytes to decode");
        }
        return new InstructionDecoder(code, offset, offset + available, address, codeSize.bits(), namer).decodeOrBadVex();
    }

    /** Decodes the instruction at the start of {@code code}. */
    public DecodedInstruction decode(byte[] code, long address) {
        return decode(code, 0, code.length, address);
    }

    /** Decodes consecutive instructions from {@code code[offset]} up to {@code offset + length}. */
    public List<DecodedInstruction> decodeAll(byte[] code, int offset, int length, long address) {
        Objects.checkFromIndexSize(offset, length, code.length);
        List<DecodedInstruction> out = new ArrayList<>();
        int at = offset;
        int endAt = offset + length;
        while (at < endAt) {
            DecodedInstruction insn = decode(code, at, endAt - at, address + (at - offset));
            out.add(insn);
            at += insn.length();
        }
        return out;
    }
}
