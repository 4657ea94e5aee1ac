package dev.jvisor.testkit;

/**
 * A register or memory operand of an {@link Asm} instruction (the "r/m" operand of the Intel SDM
 * operand notation, Vol. 2A §3.1.1.3).
 */
public sealed interface Operand permits Reg, Mem {
}
