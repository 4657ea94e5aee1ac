package dev.jvisor.emu.cpu;

/**
 * A {@link Block} compiled to JVM bytecode by {@link BlockCompiler}. {@link #run} has exactly the
 * interpreter's effect: it executes the block, sets RIP and counts instructions; on a guest exception
 * it records the faulting instruction's index in {@link Cpu#faultIndex} and rethrows.
 */
public interface CompiledBlock {
    void run(Cpu c);
}
