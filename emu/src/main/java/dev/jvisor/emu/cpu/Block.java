package dev.jvisor.emu.cpu;

/**
 * A decoded basic block: straight-line guest instructions ending at a control transfer, a page
 * boundary or a size limit. Identified by where its bytes live (host offset, so physical) and how
 * they were decoded (linear address, CS base, code size); invalidated when those bytes change.
 */
final class Block {
    final long linear;
    final long hostOffset;
    final long csBase;
    final int codeSize;
    final Insn[] insns;
    /** Host pages the block's bytes come from (second is -1 or equal when on one page). */
    final long hostPage1;
    final long hostPage2;
    volatile boolean valid = true;
    Block hashNext;
    /** Executions so far, until the block is compiled. */
    int hotness;
    /** The compiled form, once the block is hot (null before). */
    CompiledBlock compiled;

    Block(long linear, long hostOffset, long csBase, int codeSize, Insn[] insns, long hostPage1, long hostPage2) {
        this.linear = linear;
        this.hostOffset = hostOffset;
        this.csBase = csBase;
        this.codeSize = codeSize;
        this.insns = insns;
        this.hostPage1 = hostPage1;
        this.hostPage2 = hostPage2;
    }

    boolean matches(long linear, long hostOffset, long csBase, int codeSize) {
        return this.linear == linear && this.hostOffset == hostOffset && this.csBase == csBase
                && this.codeSize == codeSize;
    }
}
