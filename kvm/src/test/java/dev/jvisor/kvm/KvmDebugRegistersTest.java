package dev.jvisor.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvisor.hypervisor.DebugSettings;
import dev.jvisor.hypervisor.DebugSettings.Kind;
import dev.jvisor.hypervisor.DebugSettings.Watchpoint;
import dev.jvisor.hypervisor.HypervisorException;
import dev.jvisor.hypervisor.VcpuExit;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The DR0-DR3/DR7 encoding of breakpoints and watchpoints and the decoding of debug exits (no KVM needed). */
class KvmDebugRegistersTest {
    private static final VcpuExit.Debug.Reason BREAKPOINT = VcpuExit.Debug.Reason.BREAKPOINT,
            WATCHPOINT = VcpuExit.Debug.Reason.WATCHPOINT, STEP = VcpuExit.Debug.Reason.STEP;

    @Test
    void noDebuggingDisablesEverything() {
        KvmDebugRegisters r = KvmDebugRegisters.of(DebugSettings.NONE);
        assertThat(r.control()).isZero();
        for (int i = 0; i < 8; i++) {
            assertThat(r.debugRegister(i)).isZero();
        }
    }

    @Test
    void breakpointsAndWatchpointsFillTheAddressRegistersAndDr7() {
        KvmDebugRegisters r = KvmDebugRegisters.of(new DebugSettings(false, List.of(0x1000L),
                List.of(new Watchpoint(0x2000, 4, Kind.WRITE), new Watchpoint(0x3008, 8, Kind.ACCESS))));
        assertThat(r.control()).isEqualTo(KvmDebugRegisters.ENABLE | KvmDebugRegisters.USE_HW_BP);
        assertThat(r.debugRegister(0)).isEqualTo(0x1000);
        assertThat(r.debugRegister(1)).isEqualTo(0x2000);
        assertThat(r.debugRegister(2)).isEqualTo(0x3008);
        // G0|G1|G2, GE; DR0 execute/1 byte (0000), DR1 write/4 bytes (1101), DR2 access/8 bytes (1011).
        long expected = 0b10_1010 | 1L << 9 | 0b1101L << 20 | 0b1011L << 24;
        assertThat(r.debugRegister(7)).isEqualTo(expected);
    }

    @Test
    void singleSteppingAsksForBlockedInterrupts() {
        KvmDebugRegisters r = KvmDebugRegisters.of(new DebugSettings(true, List.of(), List.of()));
        assertThat(r.control()).isEqualTo(KvmDebugRegisters.ENABLE | KvmDebugRegisters.SINGLESTEP | KvmDebugRegisters.BLOCKIRQ);
        assertThat(r.controlWithoutBlockIrq()).isEqualTo(KvmDebugRegisters.ENABLE | KvmDebugRegisters.SINGLESTEP);
        assertThat(r.debugRegister(7)).isZero();
    }

    @Test
    void anUnalignedWatchpointIsSplitIntoAlignedPieces() {
        // 6 bytes at 0x1001: 1 byte at 0x1001, 2 at 0x1002, 2 at 0x1004, 1 at 0x1006.
        KvmDebugRegisters r = KvmDebugRegisters.of(new DebugSettings(false, List.of(),
                List.of(new Watchpoint(0x1001, 6, Kind.WRITE))));
        assertThat(new long[]{r.debugRegister(0), r.debugRegister(1), r.debugRegister(2), r.debugRegister(3)})
                .containsExactly(0x1001, 0x1002, 0x1004, 0x1006);
        // Every piece reports the watchpoint's own address.
        assertThat(r.decode(KvmDebugRegisters.DEBUG_VECTOR, 0x5000, 1L << 2))
                .isEqualTo(new VcpuExit.Debug(WATCHPOINT, 0x1001));
    }

    @Test
    void moreThanFourRegistersIsAClearError() {
        DebugSettings five = new DebugSettings(false, List.of(1L, 2L, 3L, 4L, 5L), List.of());
        assertThatThrownBy(() -> KvmDebugRegisters.of(five)).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("4 hardware debug registers").hasMessageContaining("need 5");
    }

    @Test
    void debugStatusSaysWhichEventHappened() {
        KvmDebugRegisters r = KvmDebugRegisters.of(new DebugSettings(true, List.of(0x4000L),
                List.of(new Watchpoint(0x8000, 2, Kind.READ))));
        assertThat(r.decode(KvmDebugRegisters.DEBUG_VECTOR, 0x4000, 0b01)).isEqualTo(new VcpuExit.Debug(BREAKPOINT, 0x4000));
        assertThat(r.decode(KvmDebugRegisters.DEBUG_VECTOR, 0x4010, 0b10)).isEqualTo(new VcpuExit.Debug(WATCHPOINT, 0x8000));
        assertThat(r.decode(KvmDebugRegisters.DEBUG_VECTOR, 0x4003, 1L << 14)).isEqualTo(new VcpuExit.Debug(STEP, 0x4003));
        KvmDebugRegisters off = KvmDebugRegisters.of(DebugSettings.NONE);
        assertThat(off.decode(KvmDebugRegisters.DEBUG_VECTOR, 0x4003, 0)).as("stale #DB").isNull();
    }
}
