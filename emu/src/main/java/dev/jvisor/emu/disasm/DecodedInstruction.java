package dev.jvisor.emu.disasm;

/**
 * One disassembled instruction.
 *
 * @param address the linear (or virtual) address of its first byte
 * @param length  how many bytes it occupies (1..15; for undecodable bytes, how many objdump would
 *                skip)
 * @param text    the AT&T-syntax text as GNU objdump prints it (mnemonic, operands, and a
 *                {@code # 0x...} comment for RIP-relative operands), or {@code (bad)}
 */
public record DecodedInstruction(long address, int length, String text) {
    public DecodedInstruction {
        if (length < 1 || length > 15) {
            throw new IllegalArgumentException("instruction length out of range: " + length);
        }
    }

    /** Whether the bytes did not form a valid instruction. */
    public boolean isBad() {
        return text.endsWith("(bad)");
    }
}
