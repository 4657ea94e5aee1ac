package dev.jvisor.conformance.differential;

import dev.jvisor.testkit.Asm;
import java.util.List;
import java.util.function.Consumer;

/**
 * One generated differential case: a short instruction sequence, the state it starts from, its
 * own 4 KiB data slot, and what the SDM leaves undefined afterwards (flags, registers, bytes).
 *
 * @param index            position in its batch (also selects the slot)
 * @param number           the case's number in its campaign (what reports show)
 * @param category         the generator family, e.g. "alu"
 * @param form             the instruction form, for grouping failures, e.g. "adc r/m16, imm8"
 * @param instructions     the sequence as text, one instruction per entry
 * @param emitter          emits the sequence into the batch program
 * @param initial          registers at the start (RSP included)
 * @param slotBase         guest address of the case's data slot
 * @param slot             the slot's initial bytes
 * @param undefinedFlags   RFLAGS bits not compared
 * @param undefinedGprs    bit n set: GPR n (encoding order) not compared
 * @param undefinedBytes   per slot byte: true when not compared (null: all compared)
 * @param sse              whether XMM registers and MXCSR are loaded, saved and compared
 * @param undefinedFsw     x87 status-word bits not compared (condition codes the SDM leaves undefined)
 */
public record TestCase(int index, int number, String category, String form, List<String> instructions, Consumer<Asm> emitter,
                       CpuState initial, long slotBase, byte[] slot, long undefinedFlags, int undefinedGprs,
                       boolean[] undefinedBytes, boolean sse, int undefinedFsw) {
    public TestCase {
        instructions = List.copyOf(instructions);
    }

    /** Whether the x87 state is loaded, saved and compared (with FXRSTOR/FXSAVE, which cover SSE too). */
    public boolean x87() {
        return initial.x87() != null;
    }

    /** The sequence on one line. */
    public String text() {
        return String.join("; ", instructions);
    }
}
