package dev.jvisor.emu;

import static dev.jvisor.testkit.Reg.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jvisor.hypervisor.Vcpu;
import dev.jvisor.hypervisor.VcpuExit;
import dev.jvisor.hypervisor.Vm;
import dev.jvisor.hypervisor.VmOps;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.memory.GuestMemory;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.TinyGuest;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Code the emulator has decoded is replaced by a write that does not come from a vCPU (device DMA,
 * a debugger): the next execution must run the new bytes, not the stale decoded block.
 */
class ExternalCodeWriteTest {
    private static final long FUNCTION = 0x30_000;

    @Test
    void aDeviceWriteOverDecodedCodeIsSeenByTheNextExecution() {
        Asm main = new Asm(64, TinyGuest.CODE);
        main.mov(RAX, FUNCTION).call(RAX);
        main.mov(AL, 0).out(0xf4, AL); // pause: the host rewrites the function
        main.mov(RAX, FUNCTION).call(RAX);
        main.mov(AL, 1).out(0xf4, AL);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Vcpu[] vcpu = new Vcpu[1];
        VmOps ops = new VmOps() {
            @Override
            public long pioRead(int port, int size) {
                return 0;
            }

            @Override
            public void pioWrite(int port, int size, long value) {
                if (port == 0xe9) {
                    console.write((int) value);
                } else if (port == 0xf4) {
                    vcpu[0].kick();
                }
            }

            @Override
            public long mmioRead(long address, int size) {
                return -1;
            }

            @Override
            public void mmioWrite(long address, int size, long value) {
            }
        };
        try (GuestMemory memory = GuestMemory.flat(16 << 20);
             EmuHypervisor hv = new EmuHypervisor();
             Vm vm = hv.createVm(new VmSpec(memory, 1, ops))) {
            GuestBoot boot = TinyGuest.longMode().load(main).load(FUNCTION, function('a')).build(memory);
            vcpu[0] = vm.vcpus().getFirst();
            boot.applyTo(vcpu[0]);
            assertThat(vcpu[0].run()).isEqualTo(VcpuExit.KICKED);
            memory.write(FUNCTION, function('b')); // as a virtio-blk read into this page would
            assertThat(vcpu[0].run()).isEqualTo(VcpuExit.KICKED);
        }
        assertThat(console.toString()).isEqualTo("ab");
    }

    private static byte[] function(char c) {
        Asm f = new Asm(64, FUNCTION);
        f.mov(AL, c).out(0xe9, AL).ret();
        return f.assemble();
    }
}
