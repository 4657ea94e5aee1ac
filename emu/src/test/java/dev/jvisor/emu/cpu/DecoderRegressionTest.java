package dev.jvisor.emu.cpu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.Mem;
import dev.jvisor.testkit.TinyGuest;
import org.junit.jupiter.api.Test;

/** Decoder bugs found while booting Linux, pinned down one by one. */
class DecoderRegressionTest {
    private static CpuHarness run(Asm a) {
        a.mov(AL, 0).out(TestEnvironment.STOP, AL);
        CpuHarness h = new CpuHarness(TinyGuest.longMode().load(a));
        assertThat(h.run()).isEqualTo(VcpuExit.KICKED);
        return h;
    }

    @Test
    void movzxFromAByteLoadsAWideRegisterNotAHighByteRegister() {
        // 0F B6 39 = movzx edi, byte [rcx]: ModRM.reg 7 is EDI here, not BH (found in the kernel's
        // LZ4 decompressor, which then failed with "Decoding failed").
        Asm a = new Asm(64, TinyGuest.CODE);
        a.mov(RCX, 0x20_0000).mov(Mem.at(RCX).bytePtr(), 0xab);
        a.mov(RBX, 0x1111).mov(RDI, -1L);
        a.movzx(EDI, Mem.at(RCX).bytePtr());
        a.movsx(ESI, Mem.at(RCX).bytePtr());
        try (CpuHarness h = run(a)) {
            assertThat(h.reg(7)).isEqualTo(0xab);
            assertThat(h.reg(6)).isEqualTo(0xffff_ffabL);
            assertThat(h.reg(3)).isEqualTo(0x1111);
        }
    }
}
