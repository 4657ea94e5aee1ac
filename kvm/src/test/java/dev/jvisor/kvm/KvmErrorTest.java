package dev.jvisor.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.hypervisor.Availability;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.VmSpec;
import dev.jvisor.kvm.KvmTestSupport.TestVm;
import dev.jvisor.memory.GuestMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad requests and missing hosts give clear errors, never crashes. */
class KvmErrorTest {
    @Test
    void aMissingDeviceIsReportedAsAbsentAndCreateVmNamesTheCall() {
        KvmHypervisor missing = new KvmHypervisor("/nonexistent/kvm");
        Availability a = missing.availability();
        assertThat(a.present()).isFalse();
        assertThat(a.reason()).contains("no /nonexistent/kvm");
        try (GuestMemory memory = GuestMemory.flat(1 << 20)) {
            assertThatThrownBy(() -> missing.createVm(new VmSpec(memory, 1, new TestOps())))
                    .isInstanceOfSatisfying(KvmException.class, e -> {
                        assertThat(e.errno()).isEqualTo(2);
                        assertThat(e.call()).isEqualTo("open /nonexistent/kvm");
                    })
                    .hasMessageContaining("ENOENT (No such file or directory)");
        }
        missing.close();
    }

    @Test
    void aDeviceThatIsNotKvmIsAbsent() {
        Availability a = new KvmHypervisor("/dev/null").availability();
        assertThat(a.present()).isFalse();
        assertThat(a.reason()).contains("KVM_GET_API_VERSION").contains("ENOTTY");
    }

    @Test
    void thisHostIsAtLeastPresentAndSaysWhetherItRunsKernels() {
        Availability a = KvmTestSupport.hypervisor().availability();
        assertThat(a.present()).isTrue();
        String flag = KvmProbe.hardwareVirtualizationFlag(Path.of("/proc/cpuinfo"));
        assertThat(a.runsKernels()).isEqualTo(flag != null);
        assertThat(a.reason()).contains(flag != null ? flag : "vmx/svm");
    }

    @Test
    void cpuFlagsAreReadFromCpuinfo(@TempDir Path dir) throws Exception {
        Path intel = dir.resolve("intel");
        Files.writeString(intel, "processor\t: 0\nflags\t\t: fpu vme de pse vmx sse2\n");
        Path none = dir.resolve("none");
        Files.writeString(none, "processor\t: 0\nflags\t\t: fpu vme de pse sse2 hypervisor\nbugs\t\t: svm_like\n");
        assertThat(KvmProbe.hardwareVirtualizationFlag(intel)).isEqualTo("vmx");
        assertThat(KvmProbe.hardwareVirtualizationFlag(none)).isNull();
        assertThat(KvmProbe.hardwareVirtualizationFlag(dir.resolve("missing"))).isNull();
    }

    @Test
    void guestRamOverKvmsPrivatePagesIsRefused() {
        KvmHypervisor kvm = KvmTestSupport.hypervisor();
        try (GuestMemory memory = GuestMemory.create(List.of(new GuestMemory.Layout(0, 1 << 20),
                new GuestMemory.Layout(0xfef0_0000L, 0x20_0000)))) {
            assertThatThrownBy(() -> kvm.createVm(new VmSpec(memory, 1, new TestOps())))
                    .isInstanceOf(HypervisorException.class).hasMessageContaining("private pages");
        }
    }

    @Test
    void tooManyVcpusAreRefused() {
        KvmHypervisor kvm = KvmTestSupport.hypervisor();
        try (GuestMemory memory = GuestMemory.flat(1 << 20)) {
            assertThatThrownBy(() -> kvm.createVm(new VmSpec(memory, 100_000, new TestOps())))
                    .isInstanceOf(HypervisorException.class).hasMessageContaining("at most");
        }
    }

    @Test
    void badInterruptRequestsAreRejected() {
        try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
            var lines = t.vm().interrupts();
            assertThatThrownBy(() -> lines.setLevel(24, true)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> lines.setLevel(-1, true)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> lines.signalMsi(0x1000, 0x30)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.vm().attachIrqfd(99)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.vm().attachIoEventFd(0xffff, 4, true)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.vm().attachIoEventFd(0x100, 3, false)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.vm().takeDirtyPages(0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aVcpuRefusesAVirtualThread() throws Exception {
        try (TestVm t = KvmTestSupport.newVm(1, 1 << 20)) {
            Throwable[] failure = new Throwable[1];
            Thread.ofVirtual().start(() -> {
                try {
                    t.vcpu().run();
                } catch (Throwable e) {
                    failure[0] = e;
                }
            }).join();
            assertThat(failure[0]).isInstanceOf(HypervisorException.class).hasMessageContaining("platform thread");
        }
    }

    @Test
    void aClosedVmRefusesWorkClearlyAndClosingTwiceIsHarmless() {
        TestVm t = KvmTestSupport.newVm(1, 1 << 20);
        KvmVcpu vcpu = t.vcpu();
        t.vm().close();
        t.vm().close();
        vcpu.kick();
        assertThatThrownBy(vcpu::run).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> t.vm().interrupts().setLevel(4, true)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        t.memory().close();
    }
}
