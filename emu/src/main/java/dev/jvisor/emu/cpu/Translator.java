package dev.jvisor.emu.cpu;

import java.util.ArrayList;

/**
 * Builds {@link Block}s: decodes instructions from a linear address until one ends the block, the
 * next would start on another page, or the block is long enough.
 *
 * <p>STI enables interrupts only after the following instruction (SDM Vol. 2 "STI"): the block
 * continues for exactly one more instruction so the shadow needs no run-time bookkeeping; when STI
 * (or MOV SS / POP SS) does end a block, it sets {@link Cpu#interruptShadow} and the run loop
 * honours it.
 */
final class Translator {
    /** Instructions per block at most. */
    static final int MAX_INSNS = 64;

    private final Cpu cpu;
    private final Decoder decoder;
    private final ArrayList<Insn> buffer = new ArrayList<>(MAX_INSNS);

    Translator(Cpu cpu) {
        this.cpu = cpu;
        this.decoder = new Decoder(cpu);
    }

    Decoder decoder() {
        return decoder;
    }

    /**
     * Decodes the block at {@code linear}. A fault on the first instruction is raised; a fault on a
     * later one just ends the block before it (that instruction may never run).
     */
    Block translate(long linear, long hostOffset, long csBase, int codeSize) {
        return translate(linear, hostOffset, csBase, codeSize, MAX_INSNS);
    }

    /** As {@link #translate(long, long, long, int)}, with at most {@code maxInsns} instructions. */
    Block translate(long linear, long hostOffset, long csBase, int codeSize, int maxInsns) {
        ArrayList<Insn> list = buffer;
        list.clear();
        decoder.resetFetch();
        long pos = linear;
        long page1 = hostOffset & ~0xfffL;
        long page2 = -1;
        boolean afterSti = false;
        while (true) {
            Insn in;
            if (list.isEmpty()) {
                in = decoder.decode(pos, csBase, codeSize);
            } else {
                long savedCr2 = cpu.cr2;
                try {
                    in = decoder.decode(pos, csBase, codeSize);
                } catch (CpuException e) {
                    cpu.cr2 = savedCr2;
                    break;
                }
            }
            if (decoder.lastHostPage != page1) {
                page2 = decoder.lastHostPage;
            }
            list.add(in);
            pos += in.length;
            if (in.endsBlock() || (afterSti && maxInsns > 1) || list.size() >= maxInsns) {
                break;
            }
            if (in instanceof SystemInsns.Sys s && s.op == SystemInsns.STI) {
                afterSti = true;
                continue;
            }
            if (((pos ^ linear) & ~0xfffL) != 0 || page2 >= 0) {
                break;
            }
        }
        Insn last = list.get(list.size() - 1);
        if (last instanceof SystemInsns.Sys s) {
            s.shadowAtEnd = true;
        }
        return new Block(linear, hostOffset, csBase, codeSize, list.toArray(new Insn[0]), page1, page2);
    }
}
