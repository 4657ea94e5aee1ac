package dev.jvisor.emu.cpu;

/**
 * INIT and STARTUP IPI handling for application processors (SDM Vol. 3A §9.4.4, §10.6.1): INIT puts
 * the CPU in wait-for-SIPI with the reset state; a SIPI with vector V starts it in real mode at
 * V:0000 (linear address V * 4096).
 */
final class Startup {
    private Startup() {
    }

    static void init(Cpu c) {
        c.resetState();
        c.waitForSipi = true;
        c.halted = false;
    }

    static void sipi(Cpu c, int vector) {
        c.seg[Cpu.CS].set(vector << 8, (long) vector << 12, 0xffff,
                0xb | SegmentRegister.S | SegmentRegister.P);
        c.rip = 0;
        c.waitForSipi = false;
        c.halted = false;
        c.updateMode();
    }
}
