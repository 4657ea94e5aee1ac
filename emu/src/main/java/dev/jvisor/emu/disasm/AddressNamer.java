package dev.jvisor.emu.disasm;

/**
 * Gives an address a symbolic name, as objdump does for branch targets and RIP-relative operands
 * ({@code <name+0xoff>}). {@link SymbolTable} is the usual implementation.
 */
@FunctionalInterface
public interface AddressNamer {
    /** {@code name} or {@code name+0xoff} for the symbol covering the address, or null if none does. */
    String nameOf(long address);
}
