package dev.jvisor.emu.cpu;

/** The x87 escape opcodes D8-DF (SDM Vol. 2D Appendix A.4). */
final class X87Decoder {
    private X87Decoder() {
    }

    static Insn decode(Decoder d, int b) {
        return d.undefined();
    }
}
