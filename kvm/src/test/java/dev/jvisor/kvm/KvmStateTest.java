package dev.jvisor.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.hypervisor.FpuState;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.Registers;
import dev.jvisor.hypervisor.SystemRegisters;
import dev.jvisor.kvm.KvmTestSupport.TestVm;
import dev.jvisor.testkit.Asm;
import dev.jvisor.testkit.GuestBoot;
import dev.jvisor.testkit.TinyGuest;
import org.junit.jupiter.api.Test;

/** vCPU state goes into KVM and comes back unchanged. */
class KvmStateTest {
    @Test
    void generalRegistersRoundTrip() {
        try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
            Registers r = new Registers(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x1234, 0x202);
            t.vcpu().setRegisters(r);
            assertThat(t.vcpu().getRegisters()).isEqualTo(r);
        }
    }

    @Test
    void longModeSystemRegistersRoundTrip() {
        try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
            GuestBoot boot = TinyGuest.longMode().userMode().build(t.memory());
            t.vcpu().setSystemRegisters(boot.systemRegisters());
            SystemRegisters back = t.vcpu().getSystemRegisters();
            SystemRegisters want = boot.systemRegisters();
            assertThat(back.cs()).isEqualTo(want.cs());
            assertThat(back.ss()).isEqualTo(want.ss());
            assertThat(back.tr()).isEqualTo(want.tr());
            assertThat(back.gdt()).isEqualTo(want.gdt());
            assertThat(back.idt()).isEqualTo(want.idt());
            assertThat(back.cr0()).isEqualTo(want.cr0());
            assertThat(back.cr3()).isEqualTo(want.cr3());
            assertThat(back.cr4()).isEqualTo(want.cr4());
            assertThat(back.efer()).isEqualTo(want.efer());
            assertThat(back.apicBase()).isEqualTo(want.apicBase());
        }
    }

    @Test
    void fpuStateRoundTrips() {
        try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
            byte[] st = new byte[80];
            byte[] xmm = new byte[256];
            for (int i = 0; i < st.length; i++) {
                st[i] = (byte) (i * 3 + 1);
            }
            for (int i = 0; i < xmm.length; i++) {
                xmm[i] = (byte) (255 - i);
            }
            FpuState f = new FpuState(st, 0x27f, 0x0, 0xff, 0, 0, 0, xmm, 0x1f80 | 0x40);
            t.vcpu().setFpu(f);
            FpuState back = t.vcpu().getFpu();
            assertThat(back.st()).isEqualTo(st);
            assertThat(back.xmm()).isEqualTo(xmm);
            assertThat(back.fcw()).isEqualTo(0x27f);
            assertThat(back.ftw()).isEqualTo(0xff);
            assertThat(back.mxcsr()).isEqualTo(0x1fc0);
        }
    }

    @Test
    void fpuStateReachesTheGuest() {
        // At CPL3 (native on every KVM host): stmxcsr [0x3000]; movdqu [0x3010], xmm0 (no SSE in Asm,
        // so the encodings are spelled out: 0F AE /3 and F3 0F 7F /r with a SIB absolute address).
        Asm a = new Asm(64, TinyGuest.CODE);
        a.db(0x0f, 0xae, 0x1c, 0x25, 0x00, 0x30, 0x00, 0x00).db(0xf3, 0x0f, 0x7f, 0x04, 0x25, 0x10, 0x30, 0x00, 0x00);
        KvmTestSupport.exit(a, 0);
        TinyGuest guest = TinyGuest.longMode().userMode().allowUserPorts(TestOps.EXIT_PORT, 1).load(a);
        try (TestVm t = KvmTestSupport.boot(guest)) {
            byte[] xmm = new byte[256];
            for (int i = 0; i < 16; i++) {
                xmm[i] = (byte) (0xa0 + i);
            }
            FpuState initial = FpuState.initial();
            t.vcpu().setFpu(new FpuState(initial.st(), initial.fcw(), 0, 0, 0, 0, 0, xmm, 0x1f80 | 0x6000));
            KvmTestSupport.runToExit(t);
            assertThat(t.memory().readU32(0x3000)).as("MXCSR with rounding toward zero").isEqualTo(0x7f80);
            assertThat(t.memory().read(0x3010, 16)).isEqualTo(java.util.Arrays.copyOf(xmm, 16));
        }
    }

    @Test
    void msrsAreReadAndWrittenAndUnknownOnesRejected() {
        try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
            t.vcpu().setMsr(TinyGuest.MSR_LSTAR, 0xffff_8000_1234_5678L);
            assertThat(t.vcpu().getMsr(TinyGuest.MSR_LSTAR)).isEqualTo(0xffff_8000_1234_5678L);
            assertThatThrownBy(() -> t.vcpu().getMsr(0x0bad_0000)).isInstanceOf(HypervisorException.class)
                    .hasMessageContaining("0xbad0000");
        }
    }

    @Test
    void syscallMsrsFromTheBootStateAreApplied() {
        try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
            TinyGuest.longMode().syscallHandler(0x20000).build(t.memory()).applyTo(t.vcpu());
            assertThat(t.vcpu().getMsr(TinyGuest.MSR_LSTAR)).isEqualTo(0x20000);
            assertThat(t.vcpu().getMsr(TinyGuest.MSR_STAR) >>> 32).isEqualTo(0x0023_0010L);
        }
    }

    @Test
    void localApicStateRoundTrips() {
        try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
            byte[] lapic = t.vcpu().getLapicState();
            assertThat(lapic).hasSize(1024);
            lapic[0x80] = 0x30;    // task-priority register (SDM Vol. 3A Table 11-1, offset 0x80)
            t.vcpu().setLapicState(lapic);
            assertThat(t.vcpu().getLapicState()[0x80]).isEqualTo((byte) 0x30);
            assertThatThrownBy(() -> t.vcpu().setLapicState(new byte[10])).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void secondVcpuIsNotTheBootstrapProcessor() {
        try (TestVm t = KvmTestSupport.newVm(2, 1 << 20)) {
            GuestBoot boot = TinyGuest.longMode().build(t.memory());
            boot.applyTo(t.vm().vcpus().get(0));
            boot.applyTo(t.vm().vcpus().get(1));
            assertThat(t.vm().vcpus().get(0).getSystemRegisters().apicBase() & TinyGuest.APIC_BASE_BSP).isNotZero();
            assertThat(t.vm().vcpus().get(1).getSystemRegisters().apicBase() & TinyGuest.APIC_BASE_BSP).isZero();
        }
    }
}
